"""POST /products: add a product to the caller's tenant (admin only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import etag
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, LOCATION, PRODUCTS_TAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.products import LINKS_FROM_NEW_PRODUCT, ProductEnvelope, ProductIn, present
from storefront.http.resolver import PREFIX, api_resolver, public_path

app = api_resolver()


@app.post(
    f"{PREFIX}/products",
    summary="Create a product",
    description="Adds a product to the caller's tenant at version 1; the SKU must be new in the tenant. Admin only.",
    tags=[PRODUCTS_TAG],
    operation_id="createProduct",
    security=BEARER,
    responses=responses(
        success("Created", ProductEnvelope, 201, headers=(ETAG, LOCATION), links=LINKS_FROM_NEW_PRODUCT),
        errors=(*PROTECTED, *WITH_BODY, 409),
    ),
)
def create_product(
    body: Annotated[ProductIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    product = products.create_product(bootstrap.catalog(), ctx.principal, body.to_details())
    headers = {
        "ETag": etag(product.version),
        "Location": public_path(f"{PREFIX}/products/{product.id}"),
        "Cache-Control": "no-store",
    }
    return ok(present(product), 201, headers=headers)


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
