"""POST services/orders/batch: another service places up to 1000 orders for the tenant's users in one request."""

from storefront import bootstrap
from storefront.application.order_services import batch_create_orders
from storefront.config import CacheSettings, DatabaseSettings, QueueSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.order_services import order_item
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_batch_route, parse_items

app = api_resolver()

add_batch_route(
    app,
    "orders",
    summary="Create orders in a batch",
    description="Places each valid item (an order as POST /orders takes it, plus the `user_id` of a live user of "
    "the tenant it is for) as any order is placed: priced from the catalogue now, PENDING, then reserved, charged "
    "and mailed by the saga. `data.results[i]` is `{index, status: created, id}` or `{index, status: failed, "
    "error}` in input order; the valid orders are placed even when others fail. Service role with X-Service-Name "
    "and X-API-Key.",
    operation_id="batchCreateOrders",
    run=lambda caller, items: batch_create_orders(bootstrap.orders(), caller, parse_items(items, order_item)),
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, QueueSettings))
