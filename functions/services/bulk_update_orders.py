"""POST services/orders/bulk-update: another service amends up to 1000 PENDING orders, each at a known version."""

from storefront import bootstrap
from storefront.application.order_services import bulk_update_orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.order_services import order_change
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_bulk_update_route, parse_items

app = api_resolver()

add_bulk_update_route(
    app,
    "orders",
    summary="Update orders in bulk",
    description="Each item is `{id, version, changes}` (changes as PATCH /orders/{id} takes them: shipping_address "
    "and/or notes of a PENDING order, any user's of the tenant); an item whose version is current is applied "
    "(`updated`, with its `order.amended` event), a stale one is `conflict` (the current version in "
    "error.details.current_version), an invalid, missing or no longer PENDING one `failed`; results in input "
    "order. Service role with X-Service-Name and X-API-Key.",
    operation_id="bulkUpdateOrders",
    run=lambda caller, items: bulk_update_orders(bootstrap.orders(), caller, parse_items(items, order_change)),
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
