"""The order service routes: batch (orders another system takes for the tenant's users) and sync.

An order a service creates is held to everything a user's is: the same request rules, prices from the catalogue
now, the user a live account of the tenant, PENDING with its ``order.placed`` message in the same transaction,
so the saga reserves its stock, charges it and mails its owner as for any order. Importing orders in a later
state would skip the stock and the payment the other states vouch for; a system migrating history needs its own
import, not this route. Sync: every user's orders, oldest change first, deleted ones as tombstones; the use cases
and the saga alike stamp UPDATED_AT, so a sync sees the asynchronous steps (RESERVED, CONFIRMED, FAILED, refunds)
as they commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from storefront.application.bulk import (
    ItemResult,
    SyncPage,
    UpdateRules,
    admitted,
    check_item_count,
    failed,
    judge_updates,
    retrying,
    sync_listing,
    sync_page,
)
from storefront.application.order_queries import totals_scope
from storefront.application.orders import NewOrder, check_request, placed_messages, placed_order, stale_order
from storefront.application.outbox import publish_committed
from storefront.application.ports import OrderPorts
from storefront.application.queries import Keyset
from storefront.domain.errors import AppError, NotFound
from storefront.domain.identity import Principal
from storefront.domain.orders import Order, OrderEvent


@dataclass(frozen=True, slots=True)
class OrderChange:
    """One item of a bulk update: the order, the version the caller read, the new shipping address and/or notes."""

    id: UUID
    version: int
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ImportedOrder:
    """One item of a batch: the user the order is for, and the order as the user would have asked for it."""

    user_id: UUID
    request: NewOrder


def _checked(item: ImportedOrder) -> ImportedOrder:
    check_request(item.request)
    return item


def batch_create_orders(
    ports: OrderPorts, principal: Principal, items: Sequence[ImportedOrder | AppError]
) -> list[ItemResult]:
    """Place the valid orders (module docstring); results in input order. One transaction: the users checked and
    the products read in batched statements, then the orders, items, events and outbox rows in bulk ones; the
    messages are sent after the commit."""
    check_item_count(len(items))
    now = ports.clock.now()
    candidates, results = admitted(items, _checked, lambda _: {})
    if not candidates:
        return [results[i] for i in range(len(items))]
    with ports.unit_of_work() as uow:
        users = uow.orders.live_users(principal.tenant_id, [c.user_id for _, c in candidates])
        product_ids = [line.product_id for _, c in candidates for line in c.request.lines]
        catalogue = uow.orders.catalogue(principal.tenant_id, product_ids)
        placed = []
        for index, item in candidates:
            try:
                if item.user_id not in users:
                    raise NotFound("User not found", details={"field": "user_id", "reason": "names no user"})
                placed.append((index, placed_order(principal, item.user_id, item.request, catalogue, now)))
            except AppError as refused:
                results[index] = failed(index, refused)
        outgoing = placed_messages([order for _, (order, _) in placed])
        uow.orders.add_many([pair for _, pair in placed])
        uow.outbox.add_many(outgoing)
        uow.commit()
    results.update((i, ItemResult(i, "created", order.id)) for i, (order, _) in placed)
    for user_id in {order.user_id for _, (order, _) in placed}:
        ports.totals.forget(totals_scope(principal.tenant_id, user_id))
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, outgoing)
    return [results[i] for i in range(len(items))]


def bulk_update_orders(
    ports: OrderPorts, principal: Principal, items: Sequence[OrderChange | AppError]
) -> list[ItemResult]:
    """Amend each PENDING order whose version is current (shipping address, notes; an ``order.amended`` event
    each, as the owner's PATCH writes): ``updated``, ``conflict`` (stale version), or ``failed`` (not found,
    invalid, past PENDING: BIZ_002); results in input order."""
    check_item_count(len(items))
    changes, results = admitted(items, lambda change: change, lambda c: {"id": str(c.id)})

    def apply() -> tuple[dict[int, ItemResult], list[Order]]:
        now = ports.clock.now()
        events: dict[UUID, OrderEvent] = {}

        def amend(order: Order, change: OrderChange) -> Order:
            amended, events[order.id] = order.amended(change.changes, principal.user_id, now)
            return amended

        rules: UpdateRules[Order, OrderChange] = UpdateRules(
            revise=amend,
            unique=lambda _: {},
            held=lambda _: {},
            missing=lambda: NotFound("Order not found"),
            stale=stale_order,
        )
        with ports.unit_of_work() as uow:
            current = uow.orders.get_many(principal.tenant_id, [c.id for _, c in changes], lock=True)
            outcome, writes = judge_updates(changes, current, rules)
            uow.orders.update_many([(order, version, events[order.id]) for order, version in writes])
            uow.commit()
        return outcome, [order for order, _ in writes]

    if changes:
        outcome, written = retrying(apply)
        results.update(outcome)
        for user_id in {order.user_id for order in written}:
            ports.totals.forget(totals_scope(principal.tenant_id, user_id))
    return [results[i] for i in range(len(items))]


def sync_orders(
    ports: OrderPorts, tenant_id: UUID, cursor: str | None, limit: int, lag_seconds: float
) -> SyncPage[Order]:
    """The tenant's orders changed after ``cursor`` (deleted ones too), oldest change first, with their items and
    history."""

    def read(after: Keyset | None, horizon: datetime, count: int) -> list[Order]:
        with ports.unit_of_work() as uow:
            return uow.orders.changes(tenant_id, after, horizon, count)

    listing = sync_listing(tenant_id, "orders")
    return sync_page(listing, cursor, limit, ports.clock.now(), lag_seconds, read, lambda o: Keyset(o.updated_at, o.id))
