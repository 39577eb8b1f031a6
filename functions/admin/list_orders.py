"""GET /admin/orders: one page of every user's orders of the tenant, filtered and sorted (admin only)."""

from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application import admin_orders
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.queries import CURSOR_MAX, MAX_OFFSET
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.orders import OrderStatus
from storefront.http.admin_orders import ADMIN_ORDER_LIST_HELP
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import listed
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, responses, success
from storefront.http.orders import (
    CURSOR_HELP,
    DateQuery,
    OrderPageEnvelope,
    parse_moment,
    parse_order_fields,
    parse_sort,
    present,
)
from storefront.http.products import PriceQuery
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()


@app.get(
    f"{PREFIX}/admin/orders",
    summary="List orders (admin)",
    description=f"One page of the tenant's orders of every user, with their items and history: {ADMIN_ORDER_LIST_HELP}"
    " Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminListOrders",
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
    user_id: UUID | None = None,
    created_from: DateQuery | None = None,
    created_to: DateQuery | None = None,
    min_total: PriceQuery | None = None,
    max_total: PriceQuery | None = None,
    fields: str | None = None,
) -> Response[str]:
    selected = parse_order_fields(fields)
    query = AdminOrderQuery(
        limit=limit,
        offset=offset,
        cursor=cursor,
        sort=parse_sort(sort),
        order=order,
        status=status,
        user_id=user_id,
        created_from=parse_moment("created_from", created_from, end_of_day=False),
        created_to=parse_moment("created_to", created_to, end_of_day=True),
        min_total=min_total,
        max_total=max_total,
    )
    page = admin_orders.list_orders(bootstrap.orders(), ctx.principal, query)
    return listed(page, lambda o: present(o, selected))


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
