"""DELETE /orders/{order_id}: soft-delete a finished order (its owner or an admin) (If-Match optional). 204, no body."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import order_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, PROTECTED, empty, responses
from storefront.http.orders import ORDERS_TAG
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

delete_order = app.delete(
    f"{PREFIX}/orders/<order_id>",
    summary="Delete an order",
    description="Soft-deletes an order once it is DELIVERED, FAILED or CANCELLED (409 before): it is 404 and gone "
    "from lists afterwards. Its owner or an admin of the tenant (another user's order is 404). If-Match is optional; "
    "a stale one is 409.",
    tags=[ORDERS_TAG],
    operation_id="deleteOrder",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)(order_routes.delete_order)

handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
