"""GET /admin/analytics: orders reaching CONFIRMED, average order value, top customers and products (admin only)."""

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application import reports
from storefront.application.reports import AnalyticsQuery
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.reports import TOP_DEFAULT, TOP_MAX, Granularity
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, X_CACHE, responses, success
from storefront.http.reports import (
    FIGURES_HELP,
    RANGE_HELP,
    REPORTS_TAG,
    REVENUE_HELP,
    AcceptHeader,
    AnalyticsEnvelope,
    figures_headers,
    json_only,
)
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.get(
    f"{PREFIX}/admin/analytics",
    summary="Analytics (admin)",
    description="Over a period of the caller's tenant: orders placed and the share that reached CONFIRMED, the "
    "average order value per currency, the same per `granularity` bucket (UTC day, ISO week, calendar month), and "
    f"the `top` customers and products per currency by revenue. {RANGE_HELP} {REVENUE_HELP} {FIGURES_HELP} Admin only.",
    tags=[REPORTS_TAG],
    operation_id="adminGetAnalytics",
    security=BEARER,
    responses=responses(success("The analysis", AnalyticsEnvelope, headers=(X_CACHE,)), errors=(*PROTECTED, 406, 422)),
)
def get_analytics(
    ctx: Annotated[RequestContext, Depends(request_context)],
    date_from: date | None = None,
    date_to: date | None = None,
    granularity: Granularity = Granularity.DAY,
    top: Annotated[int, Query(ge=1, le=TOP_MAX)] = TOP_DEFAULT,
    accept: AcceptHeader = None,
) -> Response[str]:
    json_only(accept)
    ports = bootstrap.reports()
    query = AnalyticsQuery(reports.report_span(ports, date_from, date_to), granularity, top)
    figures = reports.analytics(ports, ctx.tenant_id, query)
    return ok(figures.document, headers=figures_headers(figures))


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
