"""The rules of the admin's figures: what counts as revenue, which periods a report may cover, how its rows
are bucketed, and what a spreadsheet may be shown.

Money is never added across currencies: every sum is per currency (an order carries one currency).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.orders import OrderStatus, PaymentStatus

# An order is revenue once its payment is confirmed and until it is given back: CONFIRMED, SHIPPED or DELIVERED,
# and no refund asked for. A cancelled order (refunded or about to be) and a failed one never count.
REVENUE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
REFUNDING = (PaymentStatus.REFUND_REQUESTED, PaymentStatus.REFUNDED)

# Statuses an order reaches only through CONFIRMED (the contract's state machine); an order in none of them
# reached CONFIRMED only if it is CANCELLED and its history has the confirmed event.
PAST_CONFIRMED = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)

MAX_RANGE_DAYS = 366  # a report or an analysis covers at most a year (one leap year) of days
DEFAULT_RANGE_DAYS = 30  # the last 30 days (today included) when no range is given
LOW_STOCK_DEFAULT = 10
LOW_STOCK_MAX = 1_000_000
LOW_STOCK_LISTED = 50  # the low-stock products a stats answer names (lowest stock first); all are counted
TOP_DEFAULT = 10
TOP_MAX = 100
REPORT_ROWS_DEFAULT = 100
REPORT_ROWS_MAX = 1000  # products per currency in a sales-by-product report


class Granularity(StrEnum):
    """The buckets of an analysis: UTC days, ISO weeks (starting on Monday) or calendar months."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class SalesGrouping(StrEnum):
    """The rows of a sales report: one per day and currency, or one per product and currency."""

    DAY = "day"
    PRODUCT = "product"


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole UTC days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first instant of the range (midnight UTC of ``first``)."""
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the range (midnight UTC after ``last``)."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return (self.last - self.first).days + 1


def date_range(first: date | None, last: date | None, today: date) -> DateRange:
    """The range a report asks for: ``last`` defaults to today, ``first`` to 30 days before ``last``
    (inclusive). VAL_003 when ``first`` is after ``last`` or the range is longer than MAX_RANGE_DAYS."""
    last = last if last is not None else today
    first = first if first is not None else last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first > last:
        raise ValidationFailed.single("date_from", ErrorCode.OUT_OF_RANGE, "must not be after date_to")
    if last >= date.max:  # the range ends at midnight after its last day, which must be a date too
        raise ValidationFailed.single("date_to", ErrorCode.OUT_OF_RANGE, "is out of range")
    span = DateRange(first, last)
    if span.days > MAX_RANGE_DAYS:
        raise ValidationFailed.single(
            "date_to", ErrorCode.OUT_OF_RANGE, f"the range may cover at most {MAX_RANGE_DAYS} days"
        )
    return span


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the bucket ``day`` falls in (the Monday of its ISO week, the first of its month)."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def periods(span: DateRange, granularity: Granularity) -> list[date]:
    """The first day of every bucket the range touches, oldest first, none left out (the first and the last may
    be partial): a continuous calendar a series is laid on, at most MAX_RANGE_DAYS entries."""
    starts = [period_start(span.first, granularity)]
    last = period_start(span.last, granularity)
    while starts[-1] < last:
        current = starts[-1]
        if granularity is Granularity.MONTH:
            starts.append(date(current.year + current.month // 12, current.month % 12 + 1, 1))
        else:
            starts.append(current + timedelta(days=7 if granularity is Granularity.WEEK else 1))
    return starts


def counts_as_revenue(status: OrderStatus, payment_status: PaymentStatus) -> bool:
    """Whether an order's total is revenue (see REVENUE_STATUSES)."""
    return status in REVENUE_STATUSES and payment_status not in REFUNDING


@dataclass(frozen=True, slots=True)
class RevenueWindows:
    """The instants the stats' revenue windows start at: today (UTC midnight), the last 7 and 30 days."""

    today: datetime
    week: datetime
    month: datetime

    @classmethod
    def at(cls, now: datetime) -> RevenueWindows:
        """The windows ending at ``now``."""
        return cls(
            today=datetime.combine(now.astimezone(UTC).date(), time(), UTC),
            week=now - timedelta(days=7),
            month=now - timedelta(days=30),
        )


# Figures as the repository aggregates them (one row per group). --------------------------------------------


@dataclass(frozen=True, slots=True)
class Breakdown:
    """How many live rows there are, and how many per value of one column (values without rows left out)."""

    total: int
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class RevenueTotals:
    """The revenue of one currency in the stats' windows (orders counted and amount, per window)."""

    currency: str
    today_orders: int
    today: Decimal
    week_orders: int
    week: Decimal
    month_orders: int
    month: Decimal


@dataclass(frozen=True, slots=True)
class StockLevel:
    """A live product whose stock is at or under the low-stock threshold."""

    product_id: UUID
    sku: str
    name: str
    stock: int


@dataclass(frozen=True, slots=True)
class SalesTotal:
    """The revenue orders of one currency (in one bucket when ``period`` is set)."""

    currency: str
    orders: int
    revenue: Decimal
    period: date | None = None


@dataclass(frozen=True, slots=True)
class OrderFlow:
    """The orders placed (in one bucket when ``period`` is set) and how many of them reached CONFIRMED."""

    placed: int
    confirmed: int
    period: date | None = None


@dataclass(frozen=True, slots=True)
class ProductSales:
    """What one product sold in one currency: units, orders and the revenue of its lines."""

    product_id: UUID
    sku: str
    name: str
    currency: str
    units: int
    orders: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class CustomerSales:
    """What one customer spent in one currency."""

    user_id: UUID
    currency: str
    orders: int
    revenue: Decimal


# Spreadsheets ------------------------------------------------------------------------------------------------

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (tab and carriage
# return too: some strip them and read what follows), and so are their fullwidth forms, which an importer
# may fold to ASCII.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters an importer may drop before reading the cell: spaces, a byte order mark, zero-width characters.
_INVISIBLE_LEAD = " \u00a0\ufeff\u200b\u200c\u200d\u2060"


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it and never evaluates it: a leading apostrophe before a formula start,
    also when invisible characters (a byte order mark, spaces) come before it."""
    return f"'{text}" if text.lstrip(_INVISIBLE_LEAD).startswith(FORMULA_STARTS) else text
