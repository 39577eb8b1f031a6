"""GET /orders: one page of the caller's own orders, filtered and sorted, by offset or cursor."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import order_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, PROTECTED, responses, success
from storefront.http.orders import ORDERS_TAG, OrderPageEnvelope
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

list_orders = app.get(
    f"{PREFIX}/orders",
    summary="List my orders",
    description="One page of the caller's own orders with their items and history: `limit` (1..100) and `offset` "
    "(0..10000) or `cursor`, `sort` (created_at, updated_at, total) and `order`, filters `status`, `created_from` and "
    "`created_to` (dates or date-times, inclusive), `fields` to select fields (`?fields=id,status,total`). Any "
    "role; only the caller's own orders (an admin too).",
    tags=[ORDERS_TAG],
    operation_id="listOrders",
    security=BEARER,
    responses=responses(success("One page of orders", OrderPageEnvelope), errors=(*PROTECTED, 422)),
)(order_routes.list_orders)

handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
