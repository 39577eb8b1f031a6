"""Order use cases only a tenant's admin has: every user's orders listed, and fulfilment updates.

An admin reads, deletes and cancels any order of the tenant through the owner-or-admin use cases of
``application.orders`` (another tenant's is BIZ_001). An admin moves an order along its
fulfilment only (CONFIRMED -> SHIPPED -> DELIVERED, ``domain.orders.ADMIN_MOVES``): the saga makes the other
moves and cancelling has its own route, which releases the stock and asks for the refund. Each update appends
one event and, when the order ships or is delivered, writes ``order.shipped`` / ``order.delivered`` for the
notification queue in the same transaction (the owner gets an email, as for confirmed, failed and cancelled).

The admin's list does not remember its total (``listing.remembered_page``): a memo scoped to the whole
tenant would be forgotten by every order write of the tenant, the saga's included, so each page counts its
matches, capped at TOTAL_CAP + 1 in the page's own statement.
"""

from __future__ import annotations

from uuid import UUID

from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.order_queries import totals_scope
from storefront.application.orders import Outgoing, check_version, reachable, store_change, write_messages
from storefront.application.outbox import publish_committed
from storefront.application.ports import OrderPorts
from storefront.application.queries import Page
from storefront.domain.identity import Principal
from storefront.domain.orders import Order, OrderStatus
from storefront.messages.envelope import MessageData
from storefront.messages.orders import OrderDelivered, OrderShipped

NOTIFIED_MOVES: dict[OrderStatus, type[OrderShipped] | type[OrderDelivered]] = {
    OrderStatus.SHIPPED: OrderShipped,
    OrderStatus.DELIVERED: OrderDelivered,
}


def list_orders(ports: OrderPorts, principal: Principal, query: AdminOrderQuery) -> Page[Order]:
    """One page of the tenant's live orders of every user, filtered, by offset or after a cursor (VAL_002 for a
    foreign cursor), each with its items and history."""
    query.validate()
    listing = query.tenant_listing(principal.tenant_id)
    after = listing.after(query.cursor)
    with ports.unit_of_work() as uow:
        window = uow.orders.search_tenant(principal.tenant_id, query, after)
    return listing.page(window, query.limit, query.offset, after, query.keyset_of)


def update_order(
    ports: OrderPorts,
    principal: Principal,
    order_id: UUID,
    status: OrderStatus,
    notes: str | None,
    expected_version: int | None,
) -> Order:
    """Set the order's status (its own, or its next fulfilment step; BIZ_002 otherwise) and notes, appending one
    event when something changed, and ``order.shipped`` / ``order.delivered`` for the owner's email (BIZ_002 too
    when ``expected_version`` is stale). An update that changes nothing changes nothing, not even the version."""
    with ports.unit_of_work() as uow:
        current = reachable(uow, principal, order_id)
        check_version(current, expected_version)
        updated, event = current.administered(status, notes, principal.user_id, ports.clock.now())
        if event is None:
            return current
        store_change(uow, updated, current, event)
        notice = NOTIFIED_MOVES.get(updated.status) if updated.status is not current.status else None
        messages: list[MessageData] = [notice(order_id=updated.id)] if notice is not None else []
        outgoing: Outgoing = write_messages(uow, updated, messages)
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id, current.user_id))
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, outgoing)
    return updated
