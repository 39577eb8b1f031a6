"""GET /admin/orders/{order_id}: any order of the tenant with its items and full history, and its ETag (admin)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import admin_orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag, matches_none
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import not_modified, ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.orders import OrderEnvelope, present
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()


@app.get(
    f"{PREFIX}/admin/orders/<order_id>",
    summary="Get an order (admin)",
    description="Any order of the tenant, whoever placed it, with its items and its full history (every event, "
    "oldest first) and its ETag. If-None-Match with the current ETag answers 304. Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminGetOrder",
    security=BEARER,
    responses=responses(
        success("The order", OrderEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)
def get_order(
    order_id: UUID,
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_none_match: Annotated[str | None, Header(alias="if-none-match")] = None,
) -> Response[str]:
    order = admin_orders.get_order(bootstrap.orders(), ctx.principal, order_id)
    headers = {"ETag": etag(order.version), "Cache-Control": "private, no-cache"}
    if matches_none(if_none_match, headers["ETag"]):
        return not_modified(headers)
    return ok(present(order), headers=headers)


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
