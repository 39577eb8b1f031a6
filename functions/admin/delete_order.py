"""DELETE /admin/orders/{order_id}: soft-delete any finished order of the tenant (admin only). 204, no body."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import order_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, empty, responses
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()

delete_order = app.delete(
    f"{PREFIX}/admin/orders/<order_id>",
    summary="Delete an order (admin)",
    description="Soft-deletes any order of the tenant once it is DELIVERED, FAILED or CANCELLED (409 before): it is "
    "404 and gone from every list afterwards, its owner's included. If-Match is optional; a stale one is 409. "
    "Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminDeleteOrder",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)(order_routes.delete_order)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
