"""GET /admin/stats: the tenant at a glance: users, orders, revenue and low stock (admin only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application import reports
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.reports import LOW_STOCK_DEFAULT, LOW_STOCK_MAX
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, X_CACHE, responses, success
from storefront.http.reports import (
    FIGURES_HELP,
    REPORTS_TAG,
    REVENUE_HELP,
    AcceptHeader,
    StatsEnvelope,
    figures_headers,
    json_only,
)
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.get(
    f"{PREFIX}/admin/stats",
    summary="Stats (admin)",
    description="The caller's tenant at a glance: live users by status and by role, live orders by status, revenue "
    f"today (UTC) and over the last 7 and 30 days, and the active products whose stock is at most "
    f"`low_stock_threshold` (default {LOW_STOCK_DEFAULT}). {REVENUE_HELP} {FIGURES_HELP} Admin only.",
    tags=[REPORTS_TAG],
    operation_id="adminGetStats",
    security=BEARER,
    responses=responses(
        success("The tenant's figures", StatsEnvelope, headers=(X_CACHE,)), errors=(*PROTECTED, 406, 422)
    ),
)
def get_stats(
    ctx: Annotated[RequestContext, Depends(request_context)],
    low_stock_threshold: Annotated[int, Query(ge=0, le=LOW_STOCK_MAX)] = LOW_STOCK_DEFAULT,
    accept: AcceptHeader = None,
) -> Response[str]:
    json_only(accept)
    figures = reports.admin_stats(bootstrap.reports(), ctx.tenant_id, low_stock_threshold)
    return ok(figures.document, headers=figures_headers(figures))


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
