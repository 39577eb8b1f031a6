"""GET services/products/sync: the products changed after a cursor, deletions as tombstones, oldest first."""

from storefront import bootstrap
from storefront.application.product_services import sync_products
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, responses, success
from storefront.http.product_services import ProductSyncEnvelope, present_synced
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, SYNC_HELP, sync_route

app = api_resolver()

app.get(
    f"{PREFIX}/services/products/sync",
    summary="Sync products",
    description="The caller's tenant's products changed after `cursor`, oldest change first, each in its newest "
    "state with `deleted: false`, or as a tombstone `{id, deleted: true, deleted_at}`; resume from "
    f"meta.pagination.next_cursor. {SYNC_HELP} Service role with X-Service-Name and X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="syncProducts",
    security=SERVICE,
    responses=responses(success("One page of changes", ProductSyncEnvelope), errors=(*PROTECTED, 422)),
)(sync_route(lambda tenant, *page: sync_products(bootstrap.catalog(), tenant, *page), present_synced))

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
