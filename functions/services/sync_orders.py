"""GET services/orders/sync: every user's orders changed after a cursor, deletions as tombstones, oldest first."""

from storefront import bootstrap
from storefront.application.order_services import sync_orders
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, responses, success
from storefront.http.order_services import OrderSyncEnvelope, present_synced_order
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, SYNC_HELP, sync_route

app = api_resolver()

app.get(
    f"{PREFIX}/services/orders/sync",
    summary="Sync orders",
    description="The caller's tenant's orders (every user's) changed after `cursor`, oldest change first, each in its "
    "newest state with its items and history and `deleted: false`, or as a tombstone `{id, deleted: true, "
    f"deleted_at}}`; resume from meta.pagination.next_cursor. {SYNC_HELP} Service role with X-Service-Name and "
    "X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="syncOrders",
    security=SERVICE,
    responses=responses(success("One page of changes", OrderSyncEnvelope), errors=(*PROTECTED, 422)),
)(sync_route(lambda tenant, *page: sync_orders(bootstrap.orders(), tenant, *page), present_synced_order))

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
