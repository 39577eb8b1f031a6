"""The admin's stats, sales reports and analytics: aggregates read from the repository (SQL does the counting
and summing), shaped into JSON-ready documents and cached per tenant and parameters for a short time.

A document is cached whole; a cache that fails or holds an unreadable entry is a miss, and the figures are
computed again (``Cache`` degrades to "always miss" on its own when Redis is down).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from storefront.application.ports import ReportPorts, ReportRepository
from storefront.domain.identity import Role
from storefront.domain.orders import OrderStatus
from storefront.domain.reports import (
    LOW_STOCK_DEFAULT,
    LOW_STOCK_LISTED,
    REPORT_ROWS_DEFAULT,
    TOP_DEFAULT,
    CustomerSales,
    DateRange,
    Granularity,
    OrderFlow,
    ProductSales,
    RevenueTotals,
    RevenueWindows,
    SalesGrouping,
    SalesTotal,
    date_range,
    periods,
)
from storefront.domain.timestamps import iso_utc
from storefront.domain.users import UserStatus

CENT = Decimal("0.01")
RATE = Decimal("0.0001")
CACHE_PREFIX = "reports"


@dataclass(frozen=True, slots=True)
class Figures:
    """A JSON-ready document of figures, and whether it came from the cache."""

    document: dict[str, Any]
    cache_hit: bool


@dataclass(frozen=True, slots=True)
class SalesQuery:
    """A sales report: the range, one row per day or per product (``limit`` products per currency)."""

    span: DateRange
    by: SalesGrouping = SalesGrouping.DAY
    limit: int = REPORT_ROWS_DEFAULT


@dataclass(frozen=True, slots=True)
class AnalyticsQuery:
    """An analysis: the range, the buckets of its series and how many top customers and products per currency."""

    span: DateRange
    granularity: Granularity = Granularity.DAY
    top: int = TOP_DEFAULT


def cache_key(tenant_id: UUID, kind: str, parameters: dict[str, Any]) -> str:
    """Where one tenant's figures of one kind for these parameters are cached."""
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:{tenant_id}:{kind}:{digest}"


def _cached(ports: ReportPorts, key: str, compute: Callable[[ReportRepository], dict[str, Any]]) -> Figures:
    cached = ports.cache.get(key)
    if cached is not None:
        document = _decode(cached)
        if document is not None:
            return Figures(document, cache_hit=True)
    with ports.unit_of_work() as uow:
        document = compute(uow.reports)
    ports.cache.set(key, json.dumps(document, separators=(",", ":")).encode(), ports.cache_ttl_seconds)
    return Figures(document, cache_hit=False)


def _decode(raw: bytes) -> dict[str, Any] | None:
    """The cached document, or None when the entry is unreadable (it is then computed again)."""
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def money(amount: Decimal, currency: str) -> dict[str, str]:
    """The contract's money: the amount as a string with two decimals, and its currency."""
    return {"amount": f"{Decimal(amount).quantize(CENT, ROUND_HALF_UP)}", "currency": currency}


def rate(part: int, whole: int) -> str | None:
    """``part / whole`` as a decimal string with four places; None when ``whole`` is 0."""
    return f"{(Decimal(part) / Decimal(whole)).quantize(RATE, ROUND_HALF_UP)}" if whole else None


def report_span(ports: ReportPorts, first: date | None, last: date | None) -> DateRange:
    """The days a report covers (defaults and bounds: ``storefront.domain.reports.date_range``), today being the
    clock's UTC day."""
    return date_range(first, last, ports.clock.now().astimezone(UTC).date())


# Stats -------------------------------------------------------------------------------------------------------


def admin_stats(ports: ReportPorts, tenant_id: UUID, low_stock_threshold: int = LOW_STOCK_DEFAULT) -> Figures:
    """Users by status and role, orders by status, revenue today / last 7 / last 30 days per currency, and the
    live, active products with at most ``low_stock_threshold`` in stock."""
    key = cache_key(tenant_id, "stats", {"low_stock": low_stock_threshold})

    def compute(reports: ReportRepository) -> dict[str, Any]:
        now = ports.clock.now()
        by_status, by_role = reports.user_counts(tenant_id)
        orders = reports.order_counts(tenant_id)
        revenue = reports.revenue(tenant_id, RevenueWindows.at(now), now)
        count, products = reports.low_stock(tenant_id, low_stock_threshold, LOW_STOCK_LISTED)
        return {
            "generated_at": iso_utc(now),
            "users": {
                "total": by_status.total,
                "by_status": {s.value: 0 for s in UserStatus} | by_status.counts,
                "by_role": {r.value: 0 for r in Role} | by_role.counts,
            },
            "orders": {"total": orders.total, "by_status": {s.value: 0 for s in OrderStatus} | orders.counts},
            "revenue": {window: _revenue_in(revenue, window) for window in REVENUE_WINDOWS},
            "low_stock": {
                "threshold": low_stock_threshold,
                "count": count,
                "products": [
                    {"id": str(p.product_id), "sku": p.sku, "name": p.name, "stock": p.stock} for p in products
                ],
            },
        }

    return _cached(ports, key, compute)


REVENUE_WINDOWS = ("today", "last_7_days", "last_30_days")


def _revenue_in(revenue: Sequence[RevenueTotals], window: str) -> list[dict[str, Any]]:
    """The currencies with revenue orders in one window: amount, currency and order count."""
    entries = []
    for totals in revenue:
        orders, amount = {
            "today": (totals.today_orders, totals.today),
            "last_7_days": (totals.week_orders, totals.week),
            "last_30_days": (totals.month_orders, totals.month),
        }[window]
        if orders:
            entries.append({**money(amount, totals.currency), "orders": orders})
    return entries


# Sales reports -----------------------------------------------------------------------------------------------


def sales_report(ports: ReportPorts, tenant_id: UUID, query: SalesQuery) -> Figures:
    """The sales of the range, one row per day and currency (days without sales left out) or per product and
    currency (``query.limit`` best-selling products per currency)."""
    parameters = {"from": query.span.first, "to": query.span.last, "by": query.by.value, "limit": query.limit}
    key = cache_key(tenant_id, "sales", parameters)

    def compute(reports: ReportRepository) -> dict[str, Any]:
        if query.by is SalesGrouping.DAY:
            sales = reports.sales(tenant_id, query.span, Granularity.DAY)
            rows = [_day_row(s) for s in sales if s.period is not None]
        else:
            rows = [_product_row(p) for p in reports.top_products(tenant_id, query.span, query.limit)]
        return {
            "date_from": query.span.first.isoformat(),
            "date_to": query.span.last.isoformat(),
            "by": query.by.value,
            "rows": rows,
        }

    return _cached(ports, key, compute)


def _day_row(total: SalesTotal) -> dict[str, Any]:
    assert total.period is not None  # asked per day
    return {"date": total.period.isoformat(), "orders": total.orders, "revenue": money(total.revenue, total.currency)}


def _product_row(sales: ProductSales) -> dict[str, Any]:
    return {
        "product_id": str(sales.product_id),
        "sku": sales.sku,
        "name": sales.name,
        "units": sales.units,
        "orders": sales.orders,
        "revenue": money(sales.revenue, sales.currency),
    }


# Analytics ---------------------------------------------------------------------------------------------------


def analytics(ports: ReportPorts, tenant_id: UUID, query: AnalyticsQuery) -> Figures:
    """Over the range: how many orders were placed and reached CONFIRMED (and the share), the average order
    value per currency, the same per bucket of ``query.granularity``, and the top customers and products."""
    parameters = {
        "from": query.span.first,
        "to": query.span.last,
        "granularity": query.granularity.value,
        "top": query.top,
    }
    key = cache_key(tenant_id, "analytics", parameters)

    def compute(reports: ReportRepository) -> dict[str, Any]:
        flow = reports.order_flow(tenant_id, query.span, query.granularity)
        sales = reports.sales(tenant_id, query.span, query.granularity)
        whole = next((f for f in flow if f.period is None), OrderFlow(0, 0))
        return {
            "date_from": query.span.first.isoformat(),
            "date_to": query.span.last.isoformat(),
            "granularity": query.granularity.value,
            "orders": {
                "placed": whole.placed,
                "confirmed": whole.confirmed,
                "confirmation_rate": rate(whole.confirmed, whole.placed),
            },
            "average_order_value": _averages([s for s in sales if s.period is None]),
            "series": _series(periods(query.span, query.granularity), flow, [s for s in sales if s.period is not None]),
            "top_customers": [_customer(c) for c in reports.top_customers(tenant_id, query.span, query.top)],
            "top_products": [_product_row(p) for p in reports.top_products(tenant_id, query.span, query.top)],
        }

    return _cached(ports, key, compute)


def _averages(totals: Sequence[SalesTotal]) -> list[dict[str, Any]]:
    """The average revenue order per currency, with the revenue and the order count it divides."""
    return [
        {
            "average": money(t.revenue / t.orders, t.currency),
            "revenue": money(t.revenue, t.currency),
            "orders": t.orders,
        }
        for t in totals
        if t.orders
    ]


def _series(calendar: Sequence[date], flow: Sequence[OrderFlow], sales: Sequence[SalesTotal]) -> list[dict[str, Any]]:
    """One entry per bucket of ``calendar``, oldest first: placed, confirmed, their share, and revenue per
    currency; a bucket the SQL aggregate has no group for (no orders) is laid in with zeros, nothing summed."""
    by_period: dict[date, list[SalesTotal]] = {}
    for total in sales:
        assert total.period is not None  # asked per bucket
        by_period.setdefault(total.period, []).append(total)
    flows = {f.period: f for f in flow if f.period is not None}
    series = []
    for start in calendar:
        f = flows.get(start, OrderFlow(0, 0, start))
        series.append(
            {
                "period_start": start.isoformat(),
                "placed": f.placed,
                "confirmed": f.confirmed,
                "confirmation_rate": rate(f.confirmed, f.placed),
                "revenue": _averages(by_period.get(start, [])),
            }
        )
    return series


def _customer(sales: CustomerSales) -> dict[str, Any]:
    return {"user_id": str(sales.user_id), "orders": sales.orders, "revenue": money(sales.revenue, sales.currency)}
