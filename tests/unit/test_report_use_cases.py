"""The admin's figures as documents, over the fake repository: shaping, rounding, and the short-lived cache."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from storefront.application import reports
from storefront.application.reports import AnalyticsQuery, SalesQuery, cache_key, money, rate
from storefront.domain.reports import (
    Breakdown,
    CustomerSales,
    DateRange,
    Granularity,
    OrderFlow,
    ProductSales,
    RevenueTotals,
    SalesGrouping,
    SalesTotal,
    StockLevel,
)
from tests.fakes import FakeReportRepository, FakeReports, FixedClock

TENANT = UUID("00000000-0000-4000-8000-000000000001")
SPAN = DateRange(date(2026, 11, 1), date(2026, 11, 24))
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeReports:
    repository = FakeReportRepository(
        TENANT,
        users=(Breakdown(10, {"active": 8, "banned": 2}), Breakdown(10, {"user": 9, "admin": 1})),
        orders=Breakdown(5, {"DELIVERED": 4, "PENDING": 1}),
        revenue_totals=[
            RevenueTotals("EUR", 0, Decimal("0"), 2, Decimal("20.50"), 5, Decimal("70.00")),
            RevenueTotals("USD", 1, Decimal("9.99"), 1, Decimal("9.99"), 1, Decimal("9.99")),
        ],
        low=[
            StockLevel(uuid4(), "S1", "=cmd", 0),
            StockLevel(uuid4(), "S2", "Mug", 3),
            StockLevel(uuid4(), "S3", "X", 9),
        ],
        sales_totals=[
            SalesTotal("EUR", 2, Decimal("20.00"), date(2026, 11, 2)),
            SalesTotal("USD", 1, Decimal("5.00"), date(2026, 11, 2)),
            SalesTotal("EUR", 1, Decimal("10.01"), date(2026, 11, 9)),
            SalesTotal("EUR", 3, Decimal("30.01"), None),
            SalesTotal("USD", 1, Decimal("5.00"), None),
        ],
        flow=[
            OrderFlow(4, 3, date(2026, 11, 2)),
            OrderFlow(3, 0, date(2026, 11, 9)),
            OrderFlow(7, 3, None),
        ],
        products=[ProductSales(uuid4(), "S1", "=cmd", "EUR", 4, 2, Decimal("12.00"))],
        customers=[CustomerSales(uuid4(), "EUR", 2, Decimal("30.01"))],
    )
    return FakeReports(repository, clock=FixedClock(NOW))


def test_stats_count_every_status_and_role_and_leave_out_currencies_without_revenue(fake):
    document = reports.admin_stats(fake.ports, TENANT, low_stock_threshold=5).document
    assert document["users"] == {
        "total": 10,
        "by_status": {"active": 8, "banned": 2},
        "by_role": {"user": 9, "admin": 1, "service": 0},
    }
    assert document["orders"]["total"] == 5
    assert document["orders"]["by_status"]["DELIVERED"] == 4
    assert document["orders"]["by_status"]["CANCELLED"] == 0
    assert document["revenue"] == {
        "today": [{"amount": "9.99", "currency": "USD", "orders": 1}],
        "last_7_days": [
            {"amount": "20.50", "currency": "EUR", "orders": 2},
            {"amount": "9.99", "currency": "USD", "orders": 1},
        ],
        "last_30_days": [
            {"amount": "70.00", "currency": "EUR", "orders": 5},
            {"amount": "9.99", "currency": "USD", "orders": 1},
        ],
    }
    assert document["low_stock"]["threshold"] == 5
    assert document["low_stock"]["count"] == 2
    assert [p["sku"] for p in document["low_stock"]["products"]] == ["S1", "S2"]
    assert document["generated_at"] == "2026-11-24T10:00:00.000Z"  # the envelope's one format


def test_figures_are_cached_per_tenant_and_parameters(fake):
    first = reports.admin_stats(fake.ports, TENANT)
    asked = len(fake.repository.calls)
    second = reports.admin_stats(fake.ports, TENANT)
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.document == first.document
    assert len(fake.repository.calls) == asked, "a hit asks the database nothing"
    assert not reports.admin_stats(fake.ports, TENANT, low_stock_threshold=3).cache_hit
    other = reports.admin_stats(fake.ports, uuid4())
    assert not other.cache_hit
    assert other.document["users"]["total"] == 0


def test_cache_keys_name_the_tenant_and_differ_by_parameters():
    a = cache_key(TENANT, "sales", {"from": date(2026, 1, 1), "by": "day"})
    assert a.startswith(f"reports:{TENANT}:sales:")
    assert a == cache_key(TENANT, "sales", {"by": "day", "from": date(2026, 1, 1)})
    assert a != cache_key(TENANT, "sales", {"from": date(2026, 1, 2), "by": "day"})
    assert a != cache_key(uuid4(), "sales", {"from": date(2026, 1, 1), "by": "day"})


@pytest.mark.parametrize("entry", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_an_unreadable_cache_entry_is_computed_again_and_replaced(fake, entry):
    key = cache_key(TENANT, "stats", {"low_stock": 10})
    fake.cache.entries[key] = entry
    figures = reports.admin_stats(fake.ports, TENANT)
    assert not figures.cache_hit
    assert json.loads(fake.cache.entries[key]) == figures.document


def test_a_cache_that_is_down_degrades_to_computing(fake):
    fake.cache.down = True
    assert not reports.admin_stats(fake.ports, TENANT).cache_hit
    assert not reports.admin_stats(fake.ports, TENANT).cache_hit
    assert fake.cache.entries == {}


def test_sales_by_day_lists_the_day_rows_and_not_the_totals(fake):
    document = reports.sales_report(fake.ports, TENANT, SalesQuery(SPAN, SalesGrouping.DAY)).document
    assert document == {
        "date_from": "2026-11-01",
        "date_to": "2026-11-24",
        "by": "day",
        "rows": [
            {"date": "2026-11-02", "orders": 2, "revenue": {"amount": "20.00", "currency": "EUR"}},
            {"date": "2026-11-02", "orders": 1, "revenue": {"amount": "5.00", "currency": "USD"}},
            {"date": "2026-11-09", "orders": 1, "revenue": {"amount": "10.01", "currency": "EUR"}},
        ],
    }
    assert fake.repository.calls[-1] == ("sales", SPAN, Granularity.DAY)


def test_sales_by_product_asks_for_the_limit_per_currency(fake):
    document = reports.sales_report(fake.ports, TENANT, SalesQuery(SPAN, SalesGrouping.PRODUCT, limit=7)).document
    assert fake.repository.calls[-1] == ("top_products", SPAN, 7)
    assert document["rows"][0]["name"] == "=cmd"  # JSON carries the name as it is; only CSV defuses it
    assert document["rows"][0]["units"] == 4


def test_analytics_shape_rates_averages_and_series(fake):
    query = AnalyticsQuery(SPAN, Granularity.WEEK, top=5)
    document = reports.analytics(fake.ports, TENANT, query).document
    assert document["orders"] == {"placed": 7, "confirmed": 3, "confirmation_rate": "0.4286"}
    assert document["average_order_value"] == [
        {
            "average": {"amount": "10.00", "currency": "EUR"},
            "revenue": {"amount": "30.01", "currency": "EUR"},
            "orders": 3,
        },
        {
            "average": {"amount": "5.00", "currency": "USD"},
            "revenue": {"amount": "5.00", "currency": "USD"},
            "orders": 1,
        },
    ]
    assert [(s["period_start"], s["placed"], s["confirmed"], s["confirmation_rate"]) for s in document["series"]] == [
        ("2026-10-26", 0, 0, None),  # 1 November is a Sunday: its ISO week starts in October, without orders
        ("2026-11-02", 4, 3, "0.7500"),
        ("2026-11-09", 3, 0, "0.0000"),
        ("2026-11-16", 0, 0, None),  # empty buckets are laid in with zeros: a continuous series
        ("2026-11-23", 0, 0, None),
    ]
    assert [r["revenue"]["currency"] for r in document["series"][1]["revenue"]] == ["EUR", "USD"]
    assert [s["revenue"] for s in document["series"][3:]] == [[], []]
    assert document["top_customers"][0]["revenue"] == {"amount": "30.01", "currency": "EUR"}
    assert ("top_customers", SPAN, 5) in fake.repository.calls


def test_analytics_of_a_period_without_orders_has_no_rate(fake):
    fake.repository.flow, fake.repository.sales_totals = [], []
    document = reports.analytics(fake.ports, TENANT, AnalyticsQuery(SPAN)).document
    assert document["orders"] == {"placed": 0, "confirmed": 0, "confirmation_rate": None}
    assert document["average_order_value"] == []
    assert len(document["series"]) == SPAN.days  # one zero bucket per day
    assert {(s["placed"], s["confirmed"], s["confirmation_rate"], len(s["revenue"])) for s in document["series"]} == {
        (0, 0, None, 0)
    }


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(Decimal("10.005"), "10.01"), (Decimal("10.004"), "10.00"), (Decimal("3"), "3.00"), (Decimal("0.125"), "0.13")],
)
def test_money_rounds_half_up_to_cents(amount, shown):
    assert money(amount, "EUR") == {"amount": shown, "currency": "EUR"}


@pytest.mark.parametrize(
    ("part", "whole", "shown"), [(1, 3, "0.3333"), (2, 3, "0.6667"), (0, 5, "0.0000"), (0, 0, None)]
)
def test_rates_have_four_decimals(part, whole, shown):
    assert rate(part, whole) == shown


def test_the_default_range_ends_on_the_clocks_utc_day(fake):
    fake.clock.moment = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert reports.report_span(fake.ports, None, None) == DateRange(date(2026, 10, 26), date(2026, 11, 24))
