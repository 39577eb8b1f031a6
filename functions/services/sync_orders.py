"""GET services/orders/sync: every user's orders changed after a cursor, deletions as tombstones, oldest first."""

from storefront import bootstrap
from storefront.application.order_services import sync_orders
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.order_services import OrderSyncEnvelope, present_synced_order
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_sync_route

app = api_resolver()

add_sync_route(
    app,
    "orders",
    summary="Sync orders",
    description="The caller's tenant's orders (every user's) changed after `cursor`, oldest change first, each in its "
    "newest state with its items and history and `deleted: false`, or as a tombstone `{id, deleted: true, "
    "deleted_at}`; resume from meta.pagination.next_cursor.",
    operation_id="syncOrders",
    page_envelope=OrderSyncEnvelope,
    read=lambda tenant, *page: sync_orders(bootstrap.orders(), tenant, *page),
    present=present_synced_order,
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
