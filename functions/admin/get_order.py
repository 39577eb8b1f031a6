"""GET /admin/orders/{order_id}: any order of the tenant with its items and full history, and its ETag (admin)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import order_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.orders import OrderSelectionEnvelope
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()

get_order = app.get(
    f"{PREFIX}/admin/orders/<order_id>",
    summary="Get an order (admin)",
    description="Any order of the tenant, whoever placed it, with its items and its full history (every event, "
    "oldest first) and its ETag; `?fields=status,total` returns only those fields. If-None-Match with the current "
    "ETag answers 304. Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminGetOrder",
    security=BEARER,
    responses=responses(
        success("The order", OrderSelectionEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)(order_routes.get_order)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
