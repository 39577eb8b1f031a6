"""The rules of the admin's figures: date ranges, buckets, revenue, Accept negotiation, CSV cells, and the
statements as each dialect spells them (no Oracle server here: compiled)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import Numeric
from sqlalchemy.dialects import oracle, postgresql, sqlite

from storefront.adapters.db import reports as statements
from storefront.adapters.db.reports import PeriodStart
from storefront.adapters.db.tables import ORDERS
from storefront.domain.errors import ErrorCode, NotAcceptable, ValidationFailed
from storefront.domain.orders import TRANSITIONS, OrderStatus, PaymentStatus
from storefront.domain.reports import (
    MAX_RANGE_DAYS,
    PAST_CONFIRMED,
    DateRange,
    Granularity,
    RevenueWindows,
    counts_as_revenue,
    date_range,
    period_start,
    periods,
    spreadsheet_safe,
)
from storefront.http.envelope import JSON
from storefront.http.reports import CSV, JSON_ONLY, JSON_OR_CSV, csv_document, json_only, negotiate
from storefront.http.status import status_for

TODAY = date(2026, 11, 18)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (None, None, DateRange(date(2026, 10, 20), TODAY)),  # the 30 days ending today
        (None, date(2026, 1, 31), DateRange(date(2026, 1, 2), date(2026, 1, 31))),
        (date(2026, 11, 1), None, DateRange(date(2026, 11, 1), TODAY)),
        (TODAY, TODAY, DateRange(TODAY, TODAY)),  # one day
        (date(2024, 1, 1), date(2024, 12, 31), DateRange(date(2024, 1, 1), date(2024, 12, 31))),  # 366 days
    ],
)
def test_a_report_covers_whole_days(first, last, expected):
    assert date_range(first, last, TODAY) == expected


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2026, 11, 2), date(2026, 11, 1), "date_from"),  # backwards
        (date(2025, 1, 1), date(2026, 1, 2), "date_to"),  # 367 days
        (date(2026, 12, 1), None, "date_from"),  # after the default end (today)
        (date(9999, 12, 31), date(9999, 12, 31), "date_to"),  # outside pass: its end (the next midnight) overflowed
        (date(9999, 12, 1), date.max, "date_to"),
    ],
)
def test_a_range_backwards_or_longer_than_a_year_is_refused(first, last, field):
    with pytest.raises(ValidationFailed) as refused:
        date_range(first, last, TODAY)
    assert refused.value.code is ErrorCode.OUT_OF_RANGE
    assert refused.value.details is not None
    assert refused.value.details["field"] == field


def test_a_range_is_midnight_to_midnight_utc():
    span = DateRange(date(2026, 3, 28), date(2026, 3, 29))
    assert span.start == datetime(2026, 3, 28, tzinfo=UTC)
    assert span.end == datetime(2026, 3, 30, tzinfo=UTC)
    assert span.days == 2


@pytest.mark.parametrize(
    ("day", "granularity", "start"),
    [
        (date(2026, 11, 18), Granularity.DAY, date(2026, 11, 18)),
        (date(2026, 11, 18), Granularity.WEEK, date(2026, 11, 16)),  # Wednesday -> Monday
        (date(2026, 11, 16), Granularity.WEEK, date(2026, 11, 16)),  # Monday stays
        (date(2026, 11, 22), Granularity.WEEK, date(2026, 11, 16)),  # Sunday ends the ISO week
        (date(2027, 1, 1), Granularity.WEEK, date(2026, 12, 28)),  # across a year
        (date(2026, 11, 18), Granularity.MONTH, date(2026, 11, 1)),
        (date(2024, 2, 29), Granularity.MONTH, date(2024, 2, 1)),
    ],
)
def test_buckets_start_on_their_first_day(day, granularity, start):
    assert period_start(day, granularity) == start


@pytest.mark.parametrize(
    ("status", "payment", "revenue"),
    [
        (OrderStatus.CONFIRMED, PaymentStatus.CAPTURED, True),
        (OrderStatus.SHIPPED, PaymentStatus.CAPTURED, True),
        (OrderStatus.DELIVERED, PaymentStatus.CAPTURED, True),
        (OrderStatus.DELIVERED, PaymentStatus.REFUND_REQUESTED, False),
        (OrderStatus.SHIPPED, PaymentStatus.REFUNDED, False),
        (OrderStatus.PENDING, PaymentStatus.PENDING, False),
        (OrderStatus.RESERVED, PaymentStatus.AUTHORIZED, False),
        (OrderStatus.FAILED, PaymentStatus.DECLINED, False),
        (OrderStatus.CANCELLED, PaymentStatus.REFUNDED, False),
        (OrderStatus.CANCELLED, PaymentStatus.CAPTURED, False),
    ],
)
def test_what_counts_as_revenue(status, payment, revenue):
    assert counts_as_revenue(status, payment) is revenue


def test_the_revenue_windows_end_now():
    now = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
    windows = RevenueWindows.at(now)
    assert windows.today == datetime(2026, 11, 18, tzinfo=UTC)
    assert (now - windows.week).days == 7
    assert (now - windows.month).days == 30


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+33 612", "'+33 612"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Tea = good", "Tea = good"),
        ("", ""),
        # Attacker pass (issue 8): a byte order mark or a fullwidth sign before the formula went through as is.
        ("\ufeff=1+6", "'\ufeff=1+6"),
        ("\uff1d1+6", "'\uff1d1+6"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff20SUM(1)", "'\uff20SUM(1)"),
        (" \u200b=1", "' \u200b=1"),
        ("\u00a0-1", "'\u00a0-1"),
        (" Tea", " Tea"),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(text, shown):
    assert spreadsheet_safe(text) == shown


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("text/csv", CSV),
        ("TEXT/CSV; charset=utf-8", CSV),
        ("text/*", CSV),
        ("text/csv, application/json", JSON),  # a tie: the server's first offer
        ("text/csv, application/json;q=0.9", CSV),
        ("application/json;q=0.1, text/csv;q=0.5", CSV),
        ("text/*;q=0.8, */*;q=0.1", CSV),
        ("application/*", JSON),
        ("*/*, application/json;q=0", CSV),  # the specific range wins over the wildcard
        ("text/html, */*;q=0.1", JSON),
        ("application/json;q=abc, text/csv", CSV),  # a malformed weight is 0
        ("nonsense, text/csv", CSV),
    ],
)
def test_the_accept_header_chooses_json_or_csv(accept, chosen):
    assert negotiate(accept, JSON_OR_CSV) == chosen


# The same rule for the JSON-only figures (stats, analytics): 406 unless the Accept header admits JSON at all.
@pytest.mark.parametrize(
    ("accept", "admitted"),
    [
        (None, True),
        ("", True),
        ("*/*", True),
        ("application/*", True),
        ("application/json", True),
        ("APPLICATION/JSON; charset=utf-8", True),
        ("text/csv, */*;q=0.1", True),  # JSON admitted, if less wanted: the only offer is served
        ("text/csv;q=1, application/json;q=0.001", True),
        ("text/csv", False),
        ("text/*", False),
        ("application/json;q=0", False),
        ("*/*, application/json;q=0", False),  # the specific range wins over the wildcard
        ("application/*;q=0, */*", False),
        ("application/problem+json", False),  # another media type: the envelope is application/json only
        ("application/vnd.api+json", False),
        ("application/json;q=abc", False),  # a malformed weight is 0
        ("nonsense", False),
    ],
)
def test_the_json_only_figures_take_the_same_accept_rule(accept, admitted):
    if admitted:
        assert negotiate(accept, JSON_ONLY) == JSON
        json_only(accept)
    else:
        with pytest.raises(NotAcceptable):
            json_only(accept)


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml, text/plain", "application/json;q=0, text/csv;q=0", "nonsense", "image/*"]
)
def test_an_accept_nothing_satisfies_is_406(accept):
    with pytest.raises(NotAcceptable) as refused:
        negotiate(accept, JSON_OR_CSV)
    assert status_for(refused.value) == 406
    assert refused.value.code is ErrorCode.INVALID_FORMAT


def test_the_csv_has_a_header_row_quotes_where_needed_and_defuses_formulas():
    product = str(uuid4())
    document = {
        "by": "product",
        "date_from": "2026-11-01",
        "date_to": "2026-11-18",
        "rows": [
            {
                "product_id": product,
                "sku": "-SKU",
                "name": 'Mug, "big"\nline',
                "units": 3,
                "orders": 2,
                "revenue": {"amount": "12.50", "currency": "EUR"},
            },
            {
                "product_id": product,
                "sku": "S2",
                "name": '=HYPERLINK("http://x")',
                "units": 1,
                "orders": 1,
                "revenue": {"amount": "1.00", "currency": "USD"},
            },
        ],
    }
    text = csv_document(document)
    assert text.startswith("product_id,sku,name,currency,units,orders,revenue\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == [product, "'-SKU", 'Mug, "big"\nline', "EUR", "3", "2", "12.50"]
    assert rows[2][2] == '\'=HYPERLINK("http://x")'
    assert len(rows) == 3


def test_a_day_report_csv_has_its_own_columns():
    document = {
        "by": "day",
        "date_from": "2026-11-01",
        "date_to": "2026-11-18",
        "rows": [{"date": "2026-11-02", "orders": 4, "revenue": {"amount": "40.00", "currency": "GBP"}}],
    }
    assert csv_document(document) == "date,currency,orders,revenue\r\n2026-11-02,GBP,4,40.00\r\n"
    assert csv_document({**document, "rows": []}) == "date,currency,orders,revenue\r\n"


# Statements ----------------------------------------------------------------------------------------------------


def sql(statement, dialect) -> str:
    return " ".join(str(statement.compile(dialect=dialect)).split())


@pytest.mark.parametrize(
    ("dialect", "granularity", "spelled"),
    [
        (
            postgresql.dialect(),
            Granularity.WEEK,
            "date_trunc('week', \"ORDERS\".\"CREATED_AT\" AT TIME ZONE 'UTC')",
        ),
        (postgresql.dialect(), Granularity.MONTH, "date_trunc('month'"),
        (
            oracle.dialect(),
            Granularity.WEEK,
            'TRUNC(SYS_EXTRACT_UTC("ORDERS"."CREATED_AT"), \'IW\')',
        ),
        (oracle.dialect(), Granularity.DAY, "'DD'"),
        (oracle.dialect(), Granularity.MONTH, "'MM'"),
        (sqlite.dialect(), Granularity.DAY, 'date("ORDERS"."CREATED_AT")'),
        (sqlite.dialect(), Granularity.WEEK, "date(\"ORDERS\".\"CREATED_AT\", '-6 days', 'weekday 1')"),
        (sqlite.dialect(), Granularity.MONTH, 'date("ORDERS"."CREATED_AT", \'start of month\')'),
    ],
)
def test_buckets_are_spelled_per_dialect_without_bind_parameters(dialect, granularity, spelled):
    compiled = PeriodStart(ORDERS.c.CREATED_AT, granularity).compile(dialect=dialect)
    assert spelled in " ".join(str(compiled).split())
    assert compiled.params == {}  # the GROUP BY repeats the SELECT's expression: PostgreSQL must see them equal


SPAN = DateRange(date(2026, 11, 1), date(2026, 11, 18))
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
TENANT = uuid4()
EVERY_STATEMENT = {
    "user counts": statements.user_counts_statement(TENANT),
    "order counts": statements.order_counts_statement(TENANT),
    "revenue": statements.revenue_statement(TENANT, RevenueWindows.at(NOW), NOW),
    "low stock count": statements.low_stock_count_statement(TENANT, 5),
    "low stock": statements.low_stock_statement(TENANT, 5, 50),
    "sales by day": statements.sales_statement(TENANT, SPAN, Granularity.DAY),
    "sales by week": statements.sales_statement(TENANT, SPAN, Granularity.WEEK),
    "order flow by day": statements.order_flow_statement(TENANT, SPAN, Granularity.DAY),
    "order flow by month": statements.order_flow_statement(TENANT, SPAN, Granularity.MONTH),
    "top products": statements.top_products_statement(TENANT, SPAN, 10),
    "top customers": statements.top_customers_statement(TENANT, SPAN, 10),
}


@pytest.mark.parametrize("name", list(EVERY_STATEMENT))
def test_every_figure_is_one_aggregate_statement_for_oracle(name):
    text = sql(EVERY_STATEMENT[name], oracle.dialect())
    assert '"TENANT_ID" = :' in text  # one tenant's rows
    assert '"DELETED_AT" IS NULL' in text  # live rows only
    assert "GROUP BY" in text or "count(*)" in text or name == "low stock"


@pytest.mark.parametrize("name", ["top products", "top customers"])
def test_the_top_lists_rank_within_each_currency(name):
    text = sql(EVERY_STATEMENT[name], oracle.dialect())
    assert "row_number() OVER (PARTITION BY" in text
    assert "DESC" in text


def test_revenue_counts_confirmed_shipped_delivered_without_refunds():
    text = sql(statements.sales_statement(TENANT, SPAN, Granularity.DAY), postgresql.dialect())
    assert '"ORDERS"."STATUS" IN (__[POSTCOMPILE_STATUS_1])' in text
    assert '"ORDERS"."PAYMENT_STATUS" NOT IN (__[POSTCOMPILE_PAYMENT_STATUS_1])' in text
    assert 'sum("ORDERS"."TOTAL_AMOUNT")' in text


@pytest.mark.parametrize("name", ["revenue", "sales by day", "sales by week", "top products", "top customers"])
def test_money_is_never_summed_across_currencies(name):
    text = sql(EVERY_STATEMENT[name], postgresql.dialect())
    first_group_by = text.split("GROUP BY ", 1)[1].split(" ORDER BY", 1)[0].split(") AS", 1)[0]
    assert '"CURRENCY"' in first_group_by.split(", ", 1)[-1] or first_group_by.endswith('"CURRENCY"'), text


def test_sums_of_money_are_read_as_decimals():
    revenue = statements.sales_statement(TENANT, SPAN, Granularity.DAY).selected_columns.REVENUE
    assert isinstance(revenue.type, Numeric)
    assert revenue.type.asdecimal


@pytest.mark.parametrize("name", ["sales by week", "order flow by day"])
def test_the_totals_add_up_the_buckets_in_the_same_statement(name):
    text = sql(EVERY_STATEMENT[name], oracle.dialect())
    assert text.startswith('WITH "BUCKETS" AS')
    assert "UNION ALL" in text
    assert 'NULL AS "PERIOD"' in text


def test_past_confirmed_statuses_are_reached_only_through_confirmed():
    """What the order flow statement relies on: only a CANCELLED order must be asked its history."""
    predecessors = {s: {f for f, moves in TRANSITIONS.items() if s in moves} for s in OrderStatus}
    for status in PAST_CONFIRMED:
        if status is not OrderStatus.CONFIRMED:
            assert predecessors[status] <= set(PAST_CONFIRMED), status
    leaving = {to for status in PAST_CONFIRMED for to in TRANSITIONS.get(status, ())} - set(PAST_CONFIRMED)
    assert leaving == {OrderStatus.CANCELLED}


@pytest.mark.parametrize(
    ("first", "last", "granularity", "starts"),
    [
        (date(2026, 11, 24), date(2026, 11, 24), Granularity.DAY, ["2026-11-24"]),
        (
            date(2026, 2, 27),
            date(2026, 3, 2),
            Granularity.DAY,
            ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"],
        ),
        (date(2028, 2, 28), date(2028, 3, 1), Granularity.DAY, ["2028-02-28", "2028-02-29", "2028-03-01"]),
        (date(2026, 11, 1), date(2026, 11, 9), Granularity.WEEK, ["2026-10-26", "2026-11-02", "2026-11-09"]),
        (date(2026, 11, 2), date(2026, 11, 8), Granularity.WEEK, ["2026-11-02"]),
        (date(2026, 12, 28), date(2027, 1, 4), Granularity.WEEK, ["2026-12-28", "2027-01-04"]),
        (
            date(2026, 11, 30),
            date(2027, 2, 1),
            Granularity.MONTH,
            ["2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"],
        ),
        (date(2026, 1, 31), date(2026, 1, 31), Granularity.MONTH, ["2026-01-01"]),
        (date(1, 1, 1), date(1, 1, 3), Granularity.WEEK, ["0001-01-01"]),  # the first day of the calendar
        (date(9999, 12, 1), date(9999, 12, 30), Granularity.MONTH, ["9999-12-01"]),  # no bucket after the last
    ],
)
def test_a_series_calendar_has_every_bucket_the_range_touches(first, last, granularity, starts):
    assert [d.isoformat() for d in periods(DateRange(first, last), granularity)] == starts


@pytest.mark.parametrize("granularity", list(Granularity))
def test_a_year_long_series_is_continuous_and_bounded(granularity):
    calendar = periods(DateRange(date(2027, 12, 31), date(2028, 12, 30)), granularity)
    assert calendar == sorted(set(calendar))
    assert all(period_start(d, granularity) == d for d in calendar)
    assert {period_start(date(2027, 12, 31) + timedelta(days=n), granularity) for n in range(366)} == set(calendar)
    assert len(calendar) <= MAX_RANGE_DAYS
