"""DELETE /products/{product_id}: soft-delete a product (admin only; If-Match optional). 204, no body."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront import bootstrap
from storefront.application import products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.conditional import expected_version
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import no_content
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PRODUCTS_TAG, PROTECTED, empty, responses
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.delete(
    f"{PREFIX}/products/<product_id>",
    summary="Delete a product",
    description="Soft-deletes a product: it is 404 and gone from lists afterwards, its SKU stays taken. If-Match "
    "is optional; a stale one is 409. Admin only.",
    tags=[PRODUCTS_TAG],
    operation_id="deleteProduct",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)
def delete_product(
    product_id: UUID,
    ctx: Annotated[RequestContext, Depends(request_context)],
    if_match: Annotated[str | None, Header(alias="if-match")] = None,
) -> Response[str]:
    products.delete_product(bootstrap.catalog(), ctx.principal, product_id, expected_version(if_match, None))
    return no_content({"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
