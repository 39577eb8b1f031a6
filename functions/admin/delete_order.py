"""DELETE /admin/orders/{order_id}: soft-delete any finished order of the tenant (admin only). 204, no body."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import admin_orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import no_content
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, empty, responses
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()


@app.delete(
    f"{PREFIX}/admin/orders/<order_id>",
    summary="Delete an order (admin)",
    description="Soft-deletes any order of the tenant once it is DELIVERED, FAILED or CANCELLED (409 before): it is "
    "404 and gone from every list afterwards, its owner's included. If-Match is optional; a stale one is 409. "
    "Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminDeleteOrder",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)
def delete_order(
    order_id: UUID,
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    admin_orders.delete_order(bootstrap.orders(), ctx.principal, order_id, expected_version(if_match, None))
    return no_content({"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
