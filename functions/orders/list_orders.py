"""GET /orders: one page of the caller's own orders, filtered and sorted, by offset or cursor."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application import orders
from storefront.application.order_queries import OrderQuery
from storefront.application.queries import CURSOR_MAX, MAX_OFFSET
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.orders import OrderStatus
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, PROTECTED, responses, success
from storefront.http.orders import (
    CURSOR_HELP,
    ORDERS_TAG,
    DateQuery,
    OrderPageEnvelope,
    parse_moment,
    parse_sort,
    present,
)
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.get(
    f"{PREFIX}/orders",
    summary="List my orders",
    description="One page of the caller's own orders with their items and history: `limit` (1..100) and `offset` "
    "(0..10000) or `cursor`, `sort` (created_at, updated_at, total) and `order`, filters `status`, `created_from` and "
    "`created_to` (dates or date-times, inclusive). Any role; only the caller's own orders.",
    tags=[ORDERS_TAG],
    operation_id="listOrders",
    security=BEARER,
    responses=responses(success("One page of orders", OrderPageEnvelope), errors=(*PROTECTED, 422)),
)
def list_orders(
    ctx: Annotated[RequestContext, Depends(request_context)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX, description=CURSOR_HELP)] = None,
    sort: str = "created_at",
    order: Literal["asc", "desc"] = "desc",
    status: OrderStatus | None = None,
    created_from: DateQuery | None = None,
    created_to: DateQuery | None = None,
) -> Response[str]:
    query = OrderQuery(
        limit=limit,
        offset=offset,
        cursor=cursor,
        sort=parse_sort(sort),
        order=order,
        status=status,
        created_from=parse_moment("created_from", created_from, end_of_day=False),
        created_to=parse_moment("created_to", created_to, end_of_day=True),
    )
    page = orders.list_orders(bootstrap.orders(), ctx.principal, query)
    return ok([present(o) for o in page.items], page=page, headers={"Cache-Control": "private, no-cache"})


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
