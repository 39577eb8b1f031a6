"""GET /products/{product_id}: one product, from the cache when it is there, with its ETag."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag, matches_none
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import not_modified, ok
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, PRODUCTS_TAG, PROTECTED, X_CACHE, empty, responses, success
from storefront.http.products import ProductSelectionEnvelope, parse_fields, present
from storefront.http.resolver import PREFIX, api_resolver

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
    ctx: Annotated[RequestContext, Depends(request_context)],
    fields: str | None = None,
    if_none_match: Annotated[str | None, Header(alias="if-none-match")] = None,
) -> Response[str]:
    selected = parse_fields(fields)
    found = products.get_product(bootstrap.catalog(), ctx.tenant_id, product_id)
    headers = {
        "ETag": etag(found.product.version),
        "Cache-Control": "private, no-cache",
        "X-Cache": "HIT" if found.cache_hit else "MISS",
    }
    if matches_none(if_none_match, headers["ETag"]):
        return not_modified(headers)
    return ok(present(found.product, selected), headers=headers)


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
