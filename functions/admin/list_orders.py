"""GET /admin/orders: one page of every user's orders of the tenant, filtered and sorted (admin only)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import order_routes
from storefront.http.admin_orders import ADMIN_ORDER_LIST_HELP
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, responses, success
from storefront.http.orders import OrderPageEnvelope
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()

list_orders = app.get(
    f"{PREFIX}/admin/orders",
    summary="List orders (admin)",
    description=f"One page of the tenant's orders of every user, with their items and history: {ADMIN_ORDER_LIST_HELP}"
    " Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminListOrders",
    security=BEARER,
    responses=responses(success("One page of orders", OrderPageEnvelope), errors=(*PROTECTED, 422)),
)(order_routes.list_tenant_orders)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
