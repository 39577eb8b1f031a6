"""GET /admin/reports: sales by day or by product for a date range, as JSON or CSV (admin only)."""

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from storefront import bootstrap
from storefront.application import reports
from storefront.application.reports import SalesQuery
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.reports import REPORT_ROWS_DEFAULT, REPORT_ROWS_MAX, SalesGrouping
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, responses
from storefront.http.reports import (
    CSV,
    RANGE_HELP,
    REPORTS_TAG,
    REVENUE_HELP,
    csv_answer,
    figures_headers,
    negotiate,
    report_answers,
)
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.get(
    f"{PREFIX}/admin/reports",
    summary="Sales report (admin)",
    description="The caller's tenant's sales over a date range, one row per UTC day and currency (`by=day`, days "
    f"without sales left out) or per product and currency (`by=product`: the `limit` best sellers per currency). "
    f"{RANGE_HELP} {REVENUE_HELP} `Accept: text/csv` answers the rows as CSV with a header row (a text cell that "
    "starts like a formula is prefixed with an apostrophe); JSON otherwise; 406 when the Accept header admits "
    "neither. Admin only.",
    tags=[REPORTS_TAG],
    operation_id="adminGetSalesReport",
    security=BEARER,
    responses=responses(report_answers(), errors=(*PROTECTED, 406, 422)),
)
def get_reports(
    ctx: Annotated[RequestContext, Depends(request_context)],
    date_from: date | None = None,
    date_to: date | None = None,
    by: SalesGrouping = SalesGrouping.DAY,
    limit: Annotated[int, Query(ge=1, le=REPORT_ROWS_MAX)] = REPORT_ROWS_DEFAULT,
    accept: Annotated[str | None, Header(alias="accept")] = None,
) -> Response[str]:
    media_type = negotiate(accept)
    ports = bootstrap.reports()
    query = SalesQuery(reports.report_span(ports, date_from, date_to), by, limit)
    figures = reports.sales_report(ports, ctx.tenant_id, query)
    if media_type == CSV:
        return csv_answer(figures)
    return ok(figures.document, headers=figures_headers(figures, vary_accept=True))


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
