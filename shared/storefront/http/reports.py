"""The admin's figures over HTTP: their documents (OpenAPI models), the query parameters' rules, the choice
between JSON and CSV a client's Accept header makes, and the CSV of a sales report."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, Field

from storefront.application.reports import Figures
from storefront.domain.errors import NotAcceptable
from storefront.domain.reports import MAX_RANGE_DAYS, spreadsheet_safe
from storefront.http.envelope import JSON, ok
from storefront.http.openapi import X_CACHE, envelope, header, success
from storefront.http.products import MoneyOut

CSV = "text/csv"
JSON_ONLY = (JSON,)
JSON_OR_CSV = (JSON, CSV)
# The Accept header every figures route reads: one rule (``negotiate``) decides for all of them.
AcceptHeader = Annotated[str | None, Header(alias="accept")]
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
REPORTS_TAG = "admin"
FIGURES_CACHING = {"Cache-Control": "private, no-cache"}
RANGE_HELP = (
    f"`date_from` and `date_to` are UTC days (YYYY-MM-DD), both included: at most {MAX_RANGE_DAYS} days, "
    "by default the 30 days ending today."
)
REVENUE_HELP = (
    "Revenue is the total of the orders placed in the period that are CONFIRMED, SHIPPED or DELIVERED with no "
    "refund requested; amounts are per currency, never added across currencies. Soft-deleted rows never count."
)
SALES_REPORT_HELP = (
    "The caller's tenant's sales over a date range, one row per UTC day and currency (`by=day`, days without sales "
    "left out) or per product and currency (`by=product`: the `limit` best sellers per currency). "
    f"{RANGE_HELP} {REVENUE_HELP} `Accept: text/csv` answers the rows as CSV with a header row (a text cell that "
    "starts like a formula is prefixed with an apostrophe); JSON otherwise; 406 when the Accept header admits "
    "neither. Admin only."
)
VARY_ACCEPT = {"Vary": header("The answer depends on the Accept header (and on Origin, Accept-Encoding).")}
FIGURES_HELP = (
    "Figures are computed in the database and cached for a short time per tenant and parameters (X-Cache). "
    "Served as JSON only: 406 when the Accept header admits no `application/json`."
)


def figures_headers(figures: Figures, *, vary_accept: bool = False) -> dict[str, str]:
    """The headers of a figures answer: revalidated by any cache on the way, and whether it came from ours;
    ``vary_accept`` for an answer whose media type the Accept header chose."""
    headers = {**FIGURES_CACHING, "X-Cache": "HIT" if figures.cache_hit else "MISS"}
    return {**headers, "Vary": "Accept"} if vary_accept else headers


# Accept ---------------------------------------------------------------------------------------------------------


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """The media ranges of an Accept value: (type, subtype, weight); malformed ranges are left out."""
    ranges = []
    for part in accept.split(","):
        media, *parameters = part.split(";")
        kind, slash, subtype = media.strip().lower().partition("/")
        if not slash or not kind or not subtype:
            continue
        weight = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        ranges.append((kind, subtype, weight if 0.0 <= weight <= 1.0 else 0.0))
    return ranges


def _weight(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    """The weight of the most specific range that matches ``offer`` (RFC 9110 12.5.1); 0 when none does."""
    kind, _, subtype = offer.partition("/")
    best: tuple[int, float] = (-1, 0.0)
    for range_kind, range_subtype, weight in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            specificity = 2
        elif range_kind == kind and range_subtype == "*":
            specificity = 1
        elif (range_kind, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        best = max(best, (specificity, weight), key=lambda b: b[0])
    return best[1]


def negotiate(accept: str | None, offers: tuple[str, ...]) -> str:
    """The offer the Accept value prefers (the first offer on a tie, and when there is no Accept at all);
    NotAcceptable (406) when it admits none of them. The one rule of every figures route: q-values weigh,
    the most specific matching range decides (``application/json;q=0, */*`` refuses JSON), ``*/*`` and
    ``application/*`` admit JSON, and a ``+json`` type (``application/problem+json``) is another media type,
    not JSON: the answer is the envelope, ``application/json`` only."""
    if accept is None or not accept.strip():
        return offers[0]
    ranges = _ranges(accept)
    weights = [(_weight(offer, ranges), -position, offer) for position, offer in enumerate(offers)]
    weight, _, chosen = max(weights)
    if weight <= 0:
        raise NotAcceptable(f"This resource is served as {' or '.join(offers)}; the Accept header admits neither")
    return chosen


def json_only(accept: str | None) -> None:
    """NotAcceptable (406) unless the Accept value admits JSON (``negotiate`` with JSON the only offer)."""
    negotiate(accept, JSON_ONLY)


# CSV ------------------------------------------------------------------------------------------------------------

_COLUMNS = {
    "day": ("date", "currency", "orders", "revenue"),
    "product": ("product_id", "sku", "name", "currency", "units", "orders", "revenue"),
}
_TEXT_COLUMNS = frozenset({"sku", "name"})  # written by people: the cells a spreadsheet could take for formulas


def csv_document(document: dict[str, Any]) -> str:
    """A sales report as CSV (RFC 4180: CRLF, quoted where needed) with a header row; the revenue's currency is
    a column of its own, and a text cell that starts like a formula is prefixed with an apostrophe."""
    columns = _COLUMNS[document["by"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in document["rows"]:
        flat = {**row, "currency": row["revenue"]["currency"], "revenue": row["revenue"]["amount"]}
        writer.writerow(spreadsheet_safe(str(flat[c])) if c in _TEXT_COLUMNS else flat[c] for c in columns)
    return out.getvalue()


def sales_answer(figures: Figures, media_type: str) -> Response[str]:
    """A sales report in the media type ``negotiate`` chose: the rows as CSV, or the envelope."""
    if media_type == CSV:
        return csv_answer(figures)
    return ok(figures.document, headers=figures_headers(figures, vary_accept=True))


def csv_answer(figures: Figures) -> Response[str]:
    """A sales report answered as a CSV attachment (no envelope: the rows are the whole body)."""
    document = figures.document
    name = f"sales-by-{document['by']}-{document['date_from']}-{document['date_to']}.csv"
    headers = {**figures_headers(figures, vary_accept=True), "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(200, CSV_CONTENT_TYPE, csv_document(document), headers=headers)


def report_answers() -> dict[int, Any]:
    """The success answer of the sales report in OpenAPI: the envelope as JSON, or the rows as CSV."""
    answer = success("The sales report", SalesReportEnvelope, headers=(X_CACHE, VARY_ACCEPT))
    answer[200]["content"][CSV] = {
        "schema": {
            "type": "string",
            "description": "A header row (date, currency, orders, revenue; or product_id, sku, name, currency, units, "
            "orders, revenue), then one row per report row, CRLF line ends.",
        }
    }
    answer[200]["headers"]["Content-Disposition"] = header("text/csv only: an attachment file name.", required=False)
    return answer


# Documents (OpenAPI) ------------------------------------------------------------------------------------------


class CountedMoney(MoneyOut):
    """An amount of one currency and how many orders it adds up."""

    orders: int = Field(ge=1)


class UserFigures(BaseModel):
    total: int = Field(ge=0)
    by_status: dict[str, int] = Field(description="Live users per status (every status, zeros included).")
    by_role: dict[str, int] = Field(description="Live users per role (every role, zeros included).")


class OrderFigures(BaseModel):
    total: int = Field(ge=0)
    by_status: dict[str, int] = Field(description="Live orders per status (every status, zeros included).")


class RevenueFigures(BaseModel):
    """Revenue per currency (currencies without revenue orders in the window are left out)."""

    today: list[CountedMoney] = Field(description="Since 00:00 UTC today.")
    last_7_days: list[CountedMoney]
    last_30_days: list[CountedMoney]


class LowStockProduct(BaseModel):
    id: str
    sku: str
    name: str
    stock: int = Field(ge=0)


class LowStock(BaseModel):
    threshold: int
    count: int = Field(ge=0, description="How many live, active products have at most `threshold` in stock.")
    products: list[LowStockProduct] = Field(description="The first 50 of them, lowest stock first.")


class Stats(BaseModel):
    """The tenant at a glance."""

    generated_at: str
    users: UserFigures
    orders: OrderFigures
    revenue: RevenueFigures
    low_stock: LowStock


class SalesRow(BaseModel):
    """One row of a sales report: a day (`by=day`) or a product (`by=product`), in one currency."""

    date: str | None = Field(default=None, description="by=day: the UTC day.")
    product_id: str | None = Field(default=None, description="by=product.")
    sku: str | None = None
    name: str | None = None
    units: int | None = Field(default=None, ge=1, description="by=product: units sold.")
    orders: int = Field(ge=1, description="Revenue orders of the day, or containing the product.")
    revenue: MoneyOut


class SalesReport(BaseModel):
    date_from: date
    date_to: date
    by: str
    rows: list[SalesRow]


class OrderShare(BaseModel):
    placed: int = Field(ge=0)
    confirmed: int = Field(
        ge=0, description="Of the orders placed, those that reached CONFIRMED (even if later cancelled)."
    )
    confirmation_rate: str | None = Field(description="confirmed / placed, four decimals; null without orders.")


class AverageOrderValue(BaseModel):
    average: MoneyOut
    revenue: MoneyOut
    orders: int = Field(ge=1)


class Period(BaseModel):
    period_start: date = Field(description="The bucket's first day (the Monday of an ISO week, the 1st of a month).")
    placed: int
    confirmed: int
    confirmation_rate: str | None
    revenue: list[AverageOrderValue]


class TopCustomer(BaseModel):
    user_id: str
    orders: int
    revenue: MoneyOut


class TopProduct(BaseModel):
    product_id: str
    sku: str
    name: str
    units: int
    orders: int
    revenue: MoneyOut


class Analytics(BaseModel):
    date_from: date
    date_to: date
    granularity: str
    orders: OrderShare
    average_order_value: list[AverageOrderValue]
    series: list[Period] = Field(
        description="Every bucket the range touches, oldest first, a bucket without orders included with zeros (a "
        "null rate, no revenue): a continuous series; the first and last may be partial."
    )
    top_customers: list[TopCustomer] = Field(description="Per currency (in currency order), best first.")
    top_products: list[TopProduct] = Field(description="Per currency (in currency order), best first.")


StatsEnvelope = envelope("StatsEnvelope", Stats)
SalesReportEnvelope = envelope("SalesReportEnvelope", SalesReport)
AnalyticsEnvelope = envelope("AnalyticsEnvelope", Analytics)
