"""PUT /orders/{order_id}: replace a PENDING order's shipping address and notes (If-Match or body version)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.order_routes import amend_order
from storefront.http.orders import ORDERS_TAG, OrderEnvelope, OrderReplace
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfMatch

app = api_resolver()


@app.put(
    f"{PREFIX}/orders/<order_id>",
    summary="Replace an order's address and notes",
    description="Replaces the shipping address and notes (left out: none) of an order while it is PENDING (409 "
    "after). Its owner or an admin of the tenant (another user's order is 404). If-Match (or `version` in the body) "
    "guards against lost updates: a stale one is 409. status, payment_status, user_id, total and history are set "
    "by the server only: 403 AUTH_003 naming the field.",
    tags=[ORDERS_TAG],
    operation_id="replaceOrder",
    security=BEARER,
    responses=responses(
        success("The new version", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def replace_order(
    order_id: UUID, body: Annotated[OrderReplace, Body()], ctx: Context, if_match: IfMatch = None
) -> Response[str]:
    return amend_order(order_id, body, ctx, if_match)


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
