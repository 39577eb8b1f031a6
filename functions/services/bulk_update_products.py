"""POST services/products/bulk-update: another service changes up to 1000 products, each at a known version."""

from storefront import bootstrap
from storefront.application.product_services import bulk_update_products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.product_services import product_change
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_bulk_update_route, parse_items

app = api_resolver()

add_bulk_update_route(
    app,
    "products",
    summary="Update products in bulk",
    description="Each item is `{id, version, changes}` (changes as PATCH /products/{id} takes them); an item whose "
    "version is current is applied (`updated`), a stale one is `conflict` (the current version in "
    "error.details.current_version), an invalid or missing one `failed`; results in input order. "
    "Service role with X-Service-Name and X-API-Key.",
    operation_id="bulkUpdateProducts",
    run=lambda caller, items: bulk_update_products(bootstrap.catalog(), caller, parse_items(items, product_change)),
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
