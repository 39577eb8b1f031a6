"""GET services/products/sync: the products changed after a cursor, deletions as tombstones, oldest first."""

from storefront import bootstrap
from storefront.application.product_services import sync_products
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.product_services import ProductSyncEnvelope, present_synced
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_sync_route

app = api_resolver()

add_sync_route(
    app,
    "products",
    summary="Sync products",
    description="The caller's tenant's products changed after `cursor`, oldest change first, each in its newest "
    "state with `deleted: false`, or as a tombstone `{id, deleted: true, deleted_at}`; resume from "
    "meta.pagination.next_cursor.",
    operation_id="syncProducts",
    page_envelope=ProductSyncEnvelope,
    read=lambda tenant, *page: sync_products(bootstrap.catalog(), tenant, *page),
    present=present_synced,
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
