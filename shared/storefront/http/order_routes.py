"""Route bodies the order functions share (as ``user_routes`` does for users): the list (the paging plumbing
every list route has), a read with its ETag, a deletion, and one amendment that PUT and PATCH both run (they
differ only in their body model and documentation)."""

from __future__ import annotations

from uuid import UUID

from aws_lambda_powertools.event_handler import Response

from storefront import bootstrap
from storefront.application import admin_orders, orders
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.order_queries import OrderQuery
from storefront.domain.orders import Order, OrderStatus
from storefront.http.conditional import WRITE_CACHING, expected_version, tagged_read, tagged_write
from storefront.http.envelope import listed, no_content
from storefront.http.orders import (
    DateQuery,
    OrderPatch,
    OrderReplace,
    parse_moment,
    parse_order_fields,
    parse_sort,
    present,
)
from storefront.http.products import PriceQuery
from storefront.http.route_parameters import Context, Cursor, IfMatch, IfNoneMatch, Limit, Offset, SortOrder


def list_orders(
    ctx: Context,
    limit: Limit = 20,
    offset: Offset = 0,
    cursor: Cursor = None,
    sort: str = "created_at",
    order: SortOrder = "desc",
    status: OrderStatus | None = None,
    created_from: DateQuery | None = None,
    created_to: DateQuery | None = None,
    fields: str | None = None,
) -> Response[str]:
    """One page of the caller's own orders (or the selected fields of each)."""
    selected = parse_order_fields(fields)
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
    return listed(page, lambda o: present(o, selected))


def list_tenant_orders(
    ctx: Context,
    limit: Limit = 20,
    offset: Offset = 0,
    cursor: Cursor = None,
    sort: str = "created_at",
    order: SortOrder = "desc",
    status: OrderStatus | None = None,
    user_id: UUID | None = None,
    created_from: DateQuery | None = None,
    created_to: DateQuery | None = None,
    min_total: PriceQuery | None = None,
    max_total: PriceQuery | None = None,
    fields: str | None = None,
) -> Response[str]:
    """One page of every user's orders of the tenant (the admin's list: ``list_orders``' parameters, and the
    owner and total filters)."""
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


def get_order(
    order_id: UUID, ctx: Context, fields: str | None = None, if_none_match: IfNoneMatch = None
) -> Response[str]:
    """One order (or its selected fields) with its ETag (304 when If-None-Match names it)."""
    selected = parse_order_fields(fields)
    order = orders.get_order(bootstrap.orders(), ctx.principal, order_id)
    return tagged_read(present(order, selected), order.version, if_none_match)


def delete_order(order_id: UUID, ctx: Context, if_match: IfMatch = None) -> Response[str]:
    """Soft-delete a finished order (204, no body; If-Match optional, a stale one 409)."""
    orders.delete_order(bootstrap.orders(), ctx.principal, order_id, expected_version(if_match, None))
    return no_content(WRITE_CACHING)


def amend_order(order_id: UUID, body: OrderReplace | OrderPatch, ctx: Context, if_match: str | None) -> Response[str]:
    """Replace or change the address and notes of an order (AUTH_003 first for a field only the server sets)."""
    changes = body.to_changes()
    version = expected_version(if_match, body.version)
    return written(orders.amend_order(bootstrap.orders(), ctx.principal, order_id, changes, version))


def written(order: Order, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """The answer to a write: the order with its new ETag, never stored by a cache."""
    return tagged_write(present(order), order.version, status, headers)
