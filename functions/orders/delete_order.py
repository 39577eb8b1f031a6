"""DELETE /orders/{order_id}: soft-delete a finished order (its owner or an admin) (If-Match optional). 204, no body."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import no_content
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, PROTECTED, empty, responses
from storefront.http.orders import ORDERS_TAG
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.delete(
    f"{PREFIX}/orders/<order_id>",
    summary="Delete an order",
    description="Soft-deletes an order once it is DELIVERED, FAILED or CANCELLED (409 before): it is 404 and gone "
    "from lists afterwards. Its owner or an admin of the tenant (another user's order is 404). If-Match is optional; "
    "a stale one is 409.",
    tags=[ORDERS_TAG],
    operation_id="deleteOrder",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)
def delete_order(
    order_id: UUID,
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    orders.delete_order(bootstrap.orders(), ctx.principal, order_id, expected_version(if_match, None))
    return no_content({"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
