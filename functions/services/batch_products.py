"""POST services/products/batch: another service creates up to 1000 products in one request."""

from storefront import bootstrap
from storefront.application.product_services import batch_create_products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.product_services import product_item
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_batch_route, parse_items

app = api_resolver()

add_batch_route(
    app,
    "products",
    summary="Create products in a batch",
    description="Creates each valid item (a product as POST /products takes it) in bulk statements; "
    "`data.results[i]` is `{index, status: created, id}` or `{index, status: failed, error}` in input order, "
    "and the valid items are created even when others fail. Service role with X-Service-Name and X-API-Key.",
    operation_id="batchCreateProducts",
    run=lambda caller, items: batch_create_products(bootstrap.catalog(), caller, parse_items(items, product_item)),
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
