"""The admin's figures as SQL aggregates: every count and sum is a GROUP BY in the statement, so a report reads
one row per group, never the orders themselves.

Buckets (day, ISO week, month) are UTC dates spelled per dialect (``PeriodStart``): PostgreSQL truncates the
timestamp at UTC, Oracle truncates its UTC value (``TRUNC(..., 'IW')`` is the ISO week), SQLite computes the
date from its stored UTC text. All three answer the bucket's first day as 'YYYY-MM-DD' text, so the same
expression groups, orders and reads alike everywhere; it carries no bind parameter, so PostgreSQL sees the
SELECT and the GROUP BY expression as the same one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Dialect,
    Integer,
    Select,
    TypeDecorator,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import ORDER_EVENTS, ORDER_ITEMS, ORDERS, PRODUCTS, USERS
from storefront.domain.orders import EventKind, OrderStatus
from storefront.domain.products import ProductStatus
from storefront.domain.reports import (
    PAST_CONFIRMED,
    REFUNDING,
    REVENUE_STATUSES,
    Breakdown,
    CustomerSales,
    DateRange,
    Granularity,
    OrderFlow,
    ProductSales,
    RevenueTotals,
    RevenueWindows,
    SalesTotal,
    StockLevel,
)


class BucketDate(TypeDecorator[date]):
    """A bucket's first day as each dialect answers it (PostgreSQL's timestamp, Oracle's DATE, SQLite's text)."""

    impl = Date
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
            return value
        if isinstance(value, datetime):
            return value.date()
        return date.fromisoformat(str(value))


class PeriodStart(ColumnElement[date]):
    """The first day of the UTC day, ISO week or month a timestamp column falls in."""

    inherit_cache = True
    type = BucketDate()
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol reads this class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("granularity", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], granularity: Granularity) -> None:
        self.column = column
        self.granularity = granularity.value


_POSTGRESQL_UNITS = {"day": "day", "week": "week", "month": "month"}
_ORACLE_UNITS = {"day": "DD", "week": "IW", "month": "MM"}
_SQLITE_MODIFIERS = {"day": "", "week": ", '-6 days', 'weekday 1'", "month": ", 'start of month'"}


@compiles(PeriodStart, "postgresql")
def _postgresql_period(element: PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"date_trunc('{_POSTGRESQL_UNITS[element.granularity]}', {column} AT TIME ZONE 'UTC')"


@compiles(PeriodStart, "oracle")
def _oracle_period(element: PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"TRUNC(SYS_EXTRACT_UTC({column}), '{_ORACLE_UNITS[element.granularity]}')"


@compiles(PeriodStart, "sqlite")
def _sqlite_period(element: PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)  # stored as UTC text: 'YYYY-MM-DD HH:MM:SS.ffffff'
    return f"date({column}{_SQLITE_MODIFIERS[element.granularity]})"


def live_orders(tenant_id: UUID) -> ColumnElement[bool]:
    """The tenant's orders that are not soft-deleted."""
    return and_(ORDERS.c.TENANT_ID == tenant_id, ORDERS.c.DELETED_AT.is_(None))


def placed_in(span: DateRange) -> ColumnElement[bool]:
    """Orders placed within the range's days."""
    return and_(ORDERS.c.CREATED_AT >= span.start, ORDERS.c.CREATED_AT < span.end)


def is_revenue() -> ColumnElement[bool]:
    """Orders whose total is revenue (``storefront.domain.reports.REVENUE_STATUSES``)."""
    return and_(
        ORDERS.c.STATUS.in_([s.value for s in REVENUE_STATUSES]),
        ORDERS.c.PAYMENT_STATUS.not_in([s.value for s in REFUNDING]),
    )


def breakdown_statement(where: list[ColumnElement[bool]], *columns: ColumnElement[Any]) -> CompoundSelect[Any]:
    """SELECT (DIMENSION, KEY, N): how many rows match ``where`` per value of each column (DIMENSION 1, 2, ...
    in the order given) and in all (DIMENSION 0, added up from the first column's counts in the same statement)."""
    first, *others = columns
    counted = select(first.label("KEY"), func.count().label("N")).where(*where).group_by(first).cte("COUNTED")
    parts = [
        select(_dimension(1), counted.c.KEY, counted.c.N),
        select(_dimension(0), null(), _whole(counted.c.N)),
        *(
            select(_dimension(n), column, func.count()).where(*where).group_by(column)
            for n, column in enumerate(others, start=2)
        ),
    ]
    return union_all(*parts)


def _dimension(number: int) -> ColumnElement[int]:
    return literal_column(str(number), Integer).label("DIMENSION")  # no bind: the same in every branch


def user_counts_statement(tenant_id: UUID) -> CompoundSelect[Any]:
    """SELECT how many live users the tenant has per status (DIMENSION 1), per role (2) and in all (0)."""
    live = [USERS.c.TENANT_ID == tenant_id, USERS.c.DELETED_AT.is_(None)]
    return breakdown_statement(live, USERS.c.STATUS, USERS.c.ROLE)


def order_counts_statement(tenant_id: UUID) -> CompoundSelect[Any]:
    """SELECT how many live orders the tenant has per status (DIMENSION 1) and in all (0)."""
    return breakdown_statement([live_orders(tenant_id)], ORDERS.c.STATUS)


def _breakdowns(rows: list[Any], dimensions: int) -> list[Breakdown]:
    total = next((r.N for r in rows if r.DIMENSION == 0), None) or 0
    return [
        Breakdown(total, {r.KEY: r.N for r in rows if r.DIMENSION == dimension})
        for dimension in range(1, dimensions + 1)
    ]


def revenue_statement(tenant_id: UUID, windows: RevenueWindows, now: datetime) -> Select[Any]:
    """SELECT per currency the revenue orders and amounts placed since each window's start (and up to ``now``)."""
    sums: list[ColumnElement[Any]] = []
    for name, since in (("TODAY", windows.today), ("WEEK", windows.week), ("MONTH", windows.month)):
        inside = ORDERS.c.CREATED_AT >= since
        sums.append(func.sum(case((inside, 1), else_=0)).label(f"{name}_ORDERS"))
        sums.append(func.sum(case((inside, ORDERS.c.TOTAL_AMOUNT), else_=0)).label(name))
    earliest = min(windows.today, windows.week, windows.month)
    return (
        select(ORDERS.c.CURRENCY, *sums)
        .where(live_orders(tenant_id), ORDERS.c.CREATED_AT >= earliest, ORDERS.c.CREATED_AT <= now, is_revenue())
        .group_by(ORDERS.c.CURRENCY)
        .order_by(ORDERS.c.CURRENCY)
    )


def _low_stock_terms(tenant_id: UUID, threshold: int) -> list[ColumnElement[bool]]:
    return [
        PRODUCTS.c.TENANT_ID == tenant_id,
        PRODUCTS.c.DELETED_AT.is_(None),
        PRODUCTS.c.STOCK <= threshold,
        PRODUCTS.c.STATUS == ProductStatus.ACTIVE.value,
    ]


def low_stock_count_statement(tenant_id: UUID, threshold: int) -> Select[Any]:
    """SELECT how many live, active products have at most ``threshold`` in stock."""
    return select(func.count().label("N")).where(*_low_stock_terms(tenant_id, threshold))


def low_stock_statement(tenant_id: UUID, threshold: int, listed: int) -> Select[Any]:
    """SELECT the first ``listed`` of those products, lowest stock first."""
    return (
        select(PRODUCTS.c.ID, PRODUCTS.c.SKU, PRODUCTS.c.NAME, PRODUCTS.c.STOCK)
        .where(*_low_stock_terms(tenant_id, threshold))
        .order_by(PRODUCTS.c.STOCK, PRODUCTS.c.ID)
        .limit(listed)
    )


def _whole(count: ColumnElement[Any]) -> ColumnElement[int]:
    """The sum of counts as an integer (PostgreSQL sums bigints as numeric)."""
    return cast(func.sum(count), Integer)


def sales_statement(tenant_id: UUID, span: DateRange, granularity: Granularity) -> Select[Any]:
    """SELECT per bucket and currency the revenue orders placed in the range and their amount, and per currency
    the same over the whole range (rows whose PERIOD is NULL), added up from the buckets in the same statement."""
    period = PeriodStart(ORDERS.c.CREATED_AT, granularity).label("PERIOD")
    buckets = (
        select(period, ORDERS.c.CURRENCY, func.count().label("N"), func.sum(ORDERS.c.TOTAL_AMOUNT).label("REVENUE"))
        .where(live_orders(tenant_id), placed_in(span), is_revenue())
        .group_by(period, ORDERS.c.CURRENCY)
        .cte("BUCKETS")
    )
    totals = select(
        null().label("PERIOD"), buckets.c.CURRENCY, _whole(buckets.c.N), func.sum(buckets.c.REVENUE)
    ).group_by(buckets.c.CURRENCY)
    every = union_all(select(buckets), totals).subquery("SALES")
    return select(every).order_by(every.c.PERIOD, every.c.CURRENCY)


def order_flow_statement(tenant_id: UUID, span: DateRange, granularity: Granularity) -> Select[Any]:
    """SELECT per bucket the orders placed in the range and how many of them reached CONFIRMED, and the same over
    the whole range (the row whose PERIOD is NULL), added up from the buckets in the same statement.

    The state machine reaches SHIPPED and DELIVERED only through CONFIRMED, so an order in one of
    PAST_CONFIRMED reached it; of the others only a CANCELLED order may have (cancelled after it was
    confirmed), which its history says (the ``confirmed`` event). So only the cancelled orders are joined
    to their events: two aggregates, one per kind of evidence, added per bucket."""
    period = PeriodStart(ORDERS.c.CREATED_AT, granularity).label("PERIOD")
    past_confirmed = case((ORDERS.c.STATUS.in_([s.value for s in PAST_CONFIRMED]), 1))
    by_status = (
        select(period, func.count().label("N"), func.count(past_confirmed).label("CONFIRMED"))
        .where(live_orders(tenant_id), placed_in(span))
        .group_by(period)
    )
    # An order's events are its own tenant's: (ORDER_ID, KIND) answers from IX_ORDER_EVENTS_KIND alone.
    confirmed_event = and_(ORDER_EVENTS.c.ORDER_ID == ORDERS.c.ID, ORDER_EVENTS.c.KIND == EventKind.CONFIRMED.value)
    cancelled = (
        select(period, literal(0).label("N"), func.count().label("CONFIRMED"))
        .select_from(ORDERS.join(ORDER_EVENTS, confirmed_event))
        .where(live_orders(tenant_id), placed_in(span), ORDERS.c.STATUS == OrderStatus.CANCELLED.value)
        .group_by(period)
    )
    parts = union_all(by_status, cancelled).subquery("PARTS")
    buckets = (
        select(parts.c.PERIOD, _whole(parts.c.N).label("N"), _whole(parts.c.CONFIRMED).label("CONFIRMED"))
        .group_by(parts.c.PERIOD)
        .cte("BUCKETS")
    )
    total = select(null().label("PERIOD"), _whole(buckets.c.N), _whole(buckets.c.CONFIRMED))
    every = union_all(select(buckets), total).subquery("FLOW")
    return select(every).order_by(every.c.PERIOD)


def top_products_statement(tenant_id: UUID, span: DateRange, top: int) -> Select[Any]:
    """SELECT per currency the ``top`` products by revenue of their lines in revenue orders placed in the range
    (the product id breaking ties), with units and orders, and the product's SKU and name."""
    revenue = func.sum(ORDER_ITEMS.c.LINE_TOTAL)
    ranked = (
        select(
            ORDER_ITEMS.c.PRODUCT_ID,
            ORDER_ITEMS.c.CURRENCY,
            func.sum(ORDER_ITEMS.c.QUANTITY).label("UNITS"),
            func.count().label("N"),  # an order names a product on one line only: lines are orders
            revenue.label("REVENUE"),
            _rank(ORDER_ITEMS.c.CURRENCY, revenue, ORDER_ITEMS.c.PRODUCT_ID),
        )
        .select_from(ORDER_ITEMS.join(ORDERS, ORDERS.c.ID == ORDER_ITEMS.c.ORDER_ID))
        .where(live_orders(tenant_id), placed_in(span), is_revenue())
        .group_by(ORDER_ITEMS.c.PRODUCT_ID, ORDER_ITEMS.c.CURRENCY)
        .subquery("RANKED")
    )
    # The SKU and name of the few ranked products only, by primary key (a join would read the whole catalogue).
    sku, name = (
        select(column).where(PRODUCTS.c.ID == ranked.c.PRODUCT_ID).scalar_subquery().label(column.name)
        for column in (PRODUCTS.c.SKU, PRODUCTS.c.NAME)
    )
    return select(ranked, sku, name).where(ranked.c.POSITION <= top).order_by(ranked.c.CURRENCY, ranked.c.POSITION)


def top_customers_statement(tenant_id: UUID, span: DateRange, top: int) -> Select[Any]:
    """SELECT per currency the ``top`` customers by the revenue of their orders placed in the range (the user id
    breaking ties), with their order counts."""
    revenue = func.sum(ORDERS.c.TOTAL_AMOUNT)
    ranked = (
        select(
            ORDERS.c.USER_ID,
            ORDERS.c.CURRENCY,
            func.count().label("N"),
            revenue.label("REVENUE"),
            _rank(ORDERS.c.CURRENCY, revenue, ORDERS.c.USER_ID),
        )
        .where(live_orders(tenant_id), placed_in(span), is_revenue())
        .group_by(ORDERS.c.USER_ID, ORDERS.c.CURRENCY)
        .subquery("RANKED")
    )
    return select(ranked).where(ranked.c.POSITION <= top).order_by(ranked.c.CURRENCY, ranked.c.POSITION)


def _rank(currency: Any, revenue: ColumnElement[Any], tiebreak: Any) -> ColumnElement[int]:
    """ROW_NUMBER() within the currency, highest revenue first."""
    return func.row_number().over(partition_by=currency, order_by=(revenue.desc(), tiebreak)).label("POSITION")


def _buckets_then_totals(rows: list[Any]) -> list[Any]:
    """The bucket rows in order, then the total rows (PERIOD NULL), wherever the dialect sorted NULL."""
    return [r for r in rows if r.PERIOD is not None] + [r for r in rows if r.PERIOD is None]


class SqlReportRepository:
    """The ReportRepository port on SQLAlchemy Core: reads only, one aggregate statement per figure."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def _rows(self, statement: Select[Any] | CompoundSelect[Any]) -> list[Any]:
        with translated_errors():
            return list(self._statements.read(statement))

    def user_counts(self, tenant_id: UUID) -> tuple[Breakdown, Breakdown]:
        """How many live users the tenant has, per status and per role."""
        by_status, by_role = _breakdowns(self._rows(user_counts_statement(tenant_id)), 2)
        return by_status, by_role

    def order_counts(self, tenant_id: UUID) -> Breakdown:
        """How many live orders the tenant has, per status."""
        return _breakdowns(self._rows(order_counts_statement(tenant_id)), 1)[0]

    def revenue(self, tenant_id: UUID, windows: RevenueWindows, now: datetime) -> list[RevenueTotals]:
        """The revenue per currency in each window up to ``now``."""
        return [
            RevenueTotals(r.CURRENCY, r.TODAY_ORDERS, r.TODAY, r.WEEK_ORDERS, r.WEEK, r.MONTH_ORDERS, r.MONTH)
            for r in self._rows(revenue_statement(tenant_id, windows, now))
        ]

    def low_stock(self, tenant_id: UUID, threshold: int, listed: int) -> tuple[int, list[StockLevel]]:
        """How many live, active products have at most ``threshold`` in stock, and the first ``listed`` of them."""
        count = self._rows(low_stock_count_statement(tenant_id, threshold))[0].N
        if not count:
            return 0, []
        rows = self._rows(low_stock_statement(tenant_id, threshold, listed))
        return count, [StockLevel(r.ID, r.SKU, r.NAME, r.STOCK) for r in rows]

    def sales(self, tenant_id: UUID, span: DateRange, granularity: Granularity) -> list[SalesTotal]:
        """Revenue orders and amount per bucket and currency over the range, then per currency (period None)."""
        rows = self._rows(sales_statement(tenant_id, span, granularity))
        return [SalesTotal(r.CURRENCY, r.N, r.REVENUE, r.PERIOD) for r in _buckets_then_totals(rows)]

    def order_flow(self, tenant_id: UUID, span: DateRange, granularity: Granularity) -> list[OrderFlow]:
        """Orders placed and confirmed per bucket over the range, then over the whole range (period None)."""
        rows = self._rows(order_flow_statement(tenant_id, span, granularity))
        return [OrderFlow(r.N, r.CONFIRMED, r.PERIOD) for r in _buckets_then_totals(rows) if r.N]

    def top_products(self, tenant_id: UUID, span: DateRange, top: int) -> list[ProductSales]:
        """Per currency, the ``top`` products by revenue over the range."""
        return [
            ProductSales(r.PRODUCT_ID, r.SKU, r.NAME, r.CURRENCY, r.UNITS, r.N, r.REVENUE)
            for r in self._rows(top_products_statement(tenant_id, span, top))
        ]

    def top_customers(self, tenant_id: UUID, span: DateRange, top: int) -> list[CustomerSales]:
        """Per currency, the ``top`` customers by revenue over the range."""
        return [
            CustomerSales(r.USER_ID, r.CURRENCY, r.N, r.REVENUE)
            for r in self._rows(top_customers_statement(tenant_id, span, top))
        ]
