"""GET /admin/reports: sales by day or by product for a date range, as JSON or CSV (admin only)."""

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application import reports
from storefront.application.reports import SalesQuery
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.reports import REPORT_ROWS_DEFAULT, REPORT_ROWS_MAX, SalesGrouping
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, responses
from storefront.http.reports import (
    JSON_OR_CSV,
    REPORTS_TAG,
    SALES_REPORT_HELP,
    AcceptHeader,
    negotiate,
    report_answers,
    sales_answer,
)
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.get(
    f"{PREFIX}/admin/reports",
    summary="Sales report (admin)",
    description=SALES_REPORT_HELP,
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
    accept: AcceptHeader = None,
) -> Response[str]:
    media_type = negotiate(accept, JSON_OR_CSV)
    ports = bootstrap.reports()
    query = SalesQuery(reports.report_span(ports, date_from, date_to), by, limit)
    return sales_answer(reports.sales_report(ports, ctx.tenant_id, query), media_type)


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
