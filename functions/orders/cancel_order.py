"""POST /orders/{order_id}/cancel: cancel one of the caller's orders (PENDING, RESERVED or CONFIRMED)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag, expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.orders import ORDERS_TAG, OrderEnvelope, present
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.post(
    f"{PREFIX}/orders/<order_id>/cancel",
    summary="Cancel an order",
    description="Cancels one of the caller's orders that is PENDING, RESERVED or CONFIRMED (409 otherwise): the stock "
    "it held goes back, a refund is requested when it was paid, and the owner is notified. If-Match is optional.",
    tags=[ORDERS_TAG],
    operation_id="cancelOrder",
    security=BEARER,
    responses=responses(
        success("The cancelled order", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def cancel_order(
    order_id: UUID,
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    order = orders.cancel_order(bootstrap.orders(), ctx.principal, order_id, expected_version(if_match, None))
    return ok(present(order), headers={"ETag": etag(order.version), "Cache-Control": "no-store"})


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
