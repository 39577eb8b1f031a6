"""PATCH /orders/{order_id}: change a PENDING order's shipping address and/or notes (If-Match or body version)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from storefront import bootstrap
from storefront.application import orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag, expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.orders import ORDERS_TAG, OrderEnvelope, OrderPatch, present
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.patch(
    f"{PREFIX}/orders/<order_id>",
    summary="Change an order's address or notes",
    description="Changes the shipping address and/or notes sent (the others are kept; notes null clears them) of "
    "one of the caller's orders while it is PENDING (409 after). If-Match (or `version` in the body) guards against "
    "lost updates: a stale one is 409.",
    tags=[ORDERS_TAG],
    operation_id="updateOrder",
    security=BEARER,
    responses=responses(
        success("The new version", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def update_order(
    order_id: UUID,
    body: Annotated[OrderPatch, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    version = expected_version(if_match, body.version)
    order = orders.amend_order(bootstrap.orders(), ctx.principal, order_id, body.to_changes(), version)
    return ok(present(order), headers={"ETag": etag(order.version), "Cache-Control": "no-store"})


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
