"""GET /orders/{order_id}: one of the caller's orders with its items and history, and its ETag."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag, matches_none
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import not_modified, ok
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.orders import ORDERS_TAG, OrderEnvelope, present
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.get(
    f"{PREFIX}/orders/<order_id>",
    summary="Get an order",
    description="One of the caller's orders with its items and history (oldest first) and its ETag; another user's "
    "order is 404. If-None-Match with the current ETag answers 304.",
    tags=[ORDERS_TAG],
    operation_id="getOrder",
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
    order = orders.get_order(bootstrap.orders(), ctx.principal, order_id)
    headers = {"ETag": etag(order.version), "Cache-Control": "private, no-cache"}
    if matches_none(if_none_match, headers["ETag"]):
        return not_modified(headers)
    return ok(present(order), headers=headers)


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
