"""PATCH /products/{product_id}: change some of a product's fields (admin only; If-Match or body version)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from storefront import bootstrap
from storefront.application import products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag, expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PRODUCTS_TAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.products import ProductEnvelope, ProductPatch, present
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.patch(
    f"{PREFIX}/products/<product_id>",
    summary="Change some fields of a product",
    description="Changes the fields sent and keeps the others; If-Match (or `version` in the body) guards against "
    "lost updates: a stale one is 409. Admin only.",
    tags=[PRODUCTS_TAG],
    operation_id="updateProduct",
    security=BEARER,
    responses=responses(
        success("The new version", ProductEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def update_product(
    product_id: UUID,
    body: Annotated[ProductPatch, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    version = expected_version(if_match, body.version)
    product = products.update_product(bootstrap.catalog(), ctx.principal, product_id, body.to_changes(), version)
    return ok(present(product), headers={"ETag": etag(product.version), "Cache-Control": "no-store"})


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
