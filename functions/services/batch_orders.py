"""POST services/orders/batch: another service places up to 1000 orders for the tenant's users in one request."""

from storefront import bootstrap
from storefront.application.order_services import batch_create_orders
from storefront.config import CacheSettings, DatabaseSettings, QueueSettings
from storefront.http.entry import lambda_entry
from storefront.http.idempotency import REPLAYED_HEADER
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, responses, success
from storefront.http.order_services import order_item
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import IDEMPOTENCY_HELP, SERVICES_TAG, ResultsEnvelope, batch_route, parse_items

app = api_resolver()

app.post(
    f"{PREFIX}/services/orders/batch",
    summary="Create orders in a batch",
    description="Places each valid item (an order as POST /orders takes it, plus the `user_id` of a live user of "
    "the tenant it is for) as any order is placed: priced from the catalogue now, PENDING, then reserved, charged "
    "and mailed by the saga. `data.results[i]` is `{index, status: created, id}` or `{index, status: failed, "
    "error}` in input order; the valid orders are placed even when others fail. Service role with X-Service-Name "
    "and X-API-Key. "
    f"{IDEMPOTENCY_HELP}",
    tags=[SERVICES_TAG],
    operation_id="batchCreateOrders",
    security=SERVICE,
    responses=responses(
        success("One result per item", ResultsEnvelope, headers=(REPLAYED_HEADER,)),
        errors=(*PROTECTED, *WITH_BODY, 409),
    ),
)(
    batch_route(
        app,
        "orders",
        lambda caller, items: batch_create_orders(bootstrap.orders(), caller, parse_items(items, order_item)),
    )
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, QueueSettings))
