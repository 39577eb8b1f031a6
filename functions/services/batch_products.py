"""POST services/products/batch: another service creates up to 1000 products in one request."""

from storefront import bootstrap
from storefront.application.product_services import batch_create_products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.idempotency import REPLAYED_HEADER
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, responses, success
from storefront.http.product_services import product_item
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import IDEMPOTENCY_HELP, SERVICES_TAG, ResultsEnvelope, batch_route, parse_items

app = api_resolver()

app.post(
    f"{PREFIX}/services/products/batch",
    summary="Create products in a batch",
    description="Creates each valid item (a product as POST /products takes it) in bulk statements; "
    "`data.results[i]` is `{index, status: created, id}` or `{index, status: failed, error}` in input order, "
    "and the valid items are created even when others fail. Service role with X-Service-Name and X-API-Key. "
    f"{IDEMPOTENCY_HELP}",
    tags=[SERVICES_TAG],
    operation_id="batchCreateProducts",
    security=SERVICE,
    responses=responses(
        success("One result per item", ResultsEnvelope, headers=(REPLAYED_HEADER,)),
        errors=(*PROTECTED, *WITH_BODY, 409),
    ),
)(
    batch_route(
        app,
        "products",
        lambda caller, items: batch_create_products(bootstrap.catalog(), caller, parse_items(items, product_item)),
    )
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
