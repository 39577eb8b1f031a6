"""PUT /admin/orders/{order_id}: set an order's status along its fulfilment and its notes (admin only)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from storefront import bootstrap
from storefront.application import admin_orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.admin_orders import AdminOrderUpdate
from storefront.http.conditional import etag, expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.orders import OrderEnvelope, present
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()


@app.put(
    f"{PREFIX}/admin/orders/<order_id>",
    summary="Update an order (admin)",
    description="Sets the status and the notes (null clears them) of any order of the tenant. The status is the "
    "order's own or its next fulfilment step: CONFIRMED -> SHIPPED -> DELIVERED; any other move is 409 (the saga "
    "makes the others; cancelling is POST orders/{order_id}/cancel). Each change appends one event to the history; "
    "SHIPPED and DELIVERED email the owner. If-Match (or `version`) guards against lost updates: a stale one is "
    "409. Fields only the server sets (user_id, payment_status, total, history) are 403 AUTH_003 naming the field; "
    "the read-only base fields (id, created_at, ...) are ignored. Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminUpdateOrder",
    security=BEARER,
    responses=responses(
        success("The new version", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def replace_order(
    order_id: UUID,
    body: Annotated[AdminOrderUpdate, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    update = body.checked()
    version = expected_version(if_match, update.version)
    order = admin_orders.update_order(bootstrap.orders(), ctx.principal, order_id, update.status, update.notes, version)
    return ok(present(order), headers={"ETag": etag(order.version), "Cache-Control": "no-store"})


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
