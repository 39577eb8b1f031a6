"""GET /orders/{order_id}: one order with its items and history, and its ETag (its owner or an admin)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import order_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.orders import ORDERS_TAG, OrderSelectionEnvelope
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

get_order = app.get(
    f"{PREFIX}/orders/<order_id>",
    summary="Get an order",
    description="One order with its items and history (oldest first) and its ETag; `?fields=status,total` returns "
    "only those fields. Its owner or an admin of the tenant: another user's order is 404, as an unknown id is. "
    "If-None-Match with the current ETag answers 304.",
    tags=[ORDERS_TAG],
    operation_id="getOrder",
    security=BEARER,
    responses=responses(
        success("The order", OrderSelectionEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)(order_routes.get_order)

handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
