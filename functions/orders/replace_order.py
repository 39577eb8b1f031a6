"""PUT /orders/{order_id}: replace a PENDING order's shipping address and notes (If-Match or body version)."""

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
from storefront.http.orders import ORDERS_TAG, OrderEnvelope, OrderReplace, present
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.put(
    f"{PREFIX}/orders/<order_id>",
    summary="Replace an order's address and notes",
    description="Replaces the shipping address and notes (left out: none) of one of the caller's orders while it is "
    "PENDING (409 after). If-Match (or `version` in the body) guards against lost updates: a stale one is 409.",
    tags=[ORDERS_TAG],
    operation_id="replaceOrder",
    security=BEARER,
    responses=responses(
        success("The new version", OrderEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def replace_order(
    order_id: UUID,
    body: Annotated[OrderReplace, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    version = expected_version(if_match, body.version)
    order = orders.amend_order(bootstrap.orders(), ctx.principal, order_id, body.to_changes(), version)
    return ok(present(order), headers={"ETag": etag(order.version), "Cache-Control": "no-store"})


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
