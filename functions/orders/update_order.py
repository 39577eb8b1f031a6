"""PATCH /orders/{order_id}: change a PENDING order's shipping address and/or notes (If-Match or body version)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.order_routes import amend_order
from storefront.http.orders import ORDERS_TAG, OrderEnvelope, OrderPatch
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfMatch

app = api_resolver()


@app.patch(
    f"{PREFIX}/orders/<order_id>",
    summary="Change an order's address or notes",
    description="Changes the shipping address and/or notes sent (the others are kept; notes null clears them) of "
    "an order while it is PENDING (409 after). Its owner or an admin of the tenant (another user's order is 404). "
    "If-Match (or `version` in the body) guards against lost updates: a stale one is 409. status, payment_status, "
    "user_id, total and history are set by the server only: 403 AUTH_003 naming the field.",
    tags=[ORDERS_TAG],
    operation_id="updateOrder",
    security=BEARER,
    responses=responses(
        success("The new version", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def update_order(
    order_id: UUID, body: Annotated[OrderPatch, Body()], ctx: Context, if_match: IfMatch = None
) -> Response[str]:
    return amend_order(order_id, body, ctx, if_match)


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
