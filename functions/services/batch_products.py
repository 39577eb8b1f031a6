"""POST services/products/batch: another service creates up to 1000 products in one request."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application.product_services import batch_create_products
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, responses, success
from storefront.http.product_services import product_item
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, BatchIn, ResultsEnvelope, parse_items, present_results

app = api_resolver()


@app.post(
    f"{PREFIX}/services/products/batch",
    summary="Create products in a batch",
    description="Creates each valid item (a product as POST /products takes it) in bulk statements; "
    "`data.results[i]` is `{index, status: created, id}` or `{index, status: failed, error}` in input order, "
    "and the valid items are created even when others fail. Service role with X-Service-Name and X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="batchCreateProducts",
    security=SERVICE,
    responses=responses(success("One result per item", ResultsEnvelope), errors=(*PROTECTED, *WITH_BODY)),
)
def batch_products(
    body: Annotated[BatchIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    results = batch_create_products(bootstrap.catalog(), ctx.principal, parse_items(body.items, product_item))
    return ok(present_results(results), headers={"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
