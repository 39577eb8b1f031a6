"""GET /products/{product_id}: one product, from the cache when it is there, with its ETag."""

from uuid import UUID

from aws_lambda_powertools.event_handler import Response

from storefront import bootstrap
from storefront.application import products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import tagged_read
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PRODUCTS_TAG, PROTECTED, X_CACHE, empty, responses, success
from storefront.http.products import ProductSelectionEnvelope, parse_fields, present
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfNoneMatch

app = api_resolver()


@app.get(
    f"{PREFIX}/products/<product_id>",
    summary="Get a product",
    description="One product of the caller's tenant with its ETag; `?fields=sku,name` returns only those fields. "
    "If-None-Match with the current ETag answers 304. Any role.",
    tags=[PRODUCTS_TAG],
    operation_id="getProduct",
    security=BEARER,
    responses=responses(
        success("The product", ProductSelectionEnvelope, headers=(ETAG, X_CACHE)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG, X_CACHE)),
        errors=(*PROTECTED, 404, 422),
    ),
)
def get_product(
    product_id: UUID,
    ctx: Context,
    fields: str | None = None,
    if_none_match: IfNoneMatch = None,
) -> Response[str]:
    selected = parse_fields(fields)
    found = products.get_product(bootstrap.catalog(), ctx.tenant_id, product_id)
    cache = {"X-Cache": "HIT" if found.cache_hit else "MISS"}
    return tagged_read(present(found.product, selected), found.product.version, if_none_match, cache)


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
