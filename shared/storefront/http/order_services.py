"""The order service routes over HTTP: the sync page's rows (an order with its items and history, or a tombstone
once deleted)."""

from __future__ import annotations

from typing import Any, Literal

from storefront.domain.orders import Order
from storefront.http.openapi import envelope
from storefront.http.orders import OrderOut, present
from storefront.http.service_routes import SyncMeta, Tombstone, tombstone


class SyncedOrderOut(OrderOut):
    """A live order in a sync page."""

    deleted: Literal[False]


OrderSyncEnvelope = envelope("OrderSyncEnvelope", list[SyncedOrderOut | Tombstone], SyncMeta)


def present_synced_order(order: Order) -> dict[str, Any]:
    """An order as a sync page shows it: the whole order, or a tombstone once deleted."""
    if order.deleted_at is not None:
        return tombstone(order.id, order.deleted_at)
    return {**present(order), "deleted": False}
