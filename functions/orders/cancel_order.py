"""POST /orders/{order_id}/cancel: cancel an order (PENDING, RESERVED or CONFIRMED; its owner or an admin)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import expected_version
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.order_routes import written
from storefront.http.orders import ANY_VERSION, ORDERS_TAG, CancelIn, OrderEnvelope
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfMatch

app = api_resolver()


@app.post(
    f"{PREFIX}/orders/<order_id>/cancel",
    summary="Cancel an order",
    description="Cancels an order that is PENDING, RESERVED or CONFIRMED (409 otherwise): the stock it held goes "
    "back, a refund is requested when it was paid, and the owner is notified. Its owner or an admin of the tenant "
    "(another user's order is 404). The body may be left out, or carry the `version` the cancel expects (as "
    "If-Match does): a stale one is 409.",
    tags=[ORDERS_TAG],
    operation_id="cancelOrder",
    security=BEARER,
    responses=responses(
        success("The cancelled order", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def cancel_order(
    order_id: UUID, ctx: Context, body: Annotated[CancelIn, Body()] = ANY_VERSION, if_match: IfMatch = None
) -> Response[str]:
    version = expected_version(if_match, body.version)
    return written(orders.cancel_order(bootstrap.orders(), ctx.principal, order_id, version))


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
