"""The order service routes over HTTP: batch items (an order as POST /orders takes it, and the user it is for),
bulk-update items (as PATCH /orders/{id} takes them), and the sync page's rows (an order with its items and
history, or a tombstone once deleted)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from storefront.application.order_services import ImportedOrder, OrderChange
from storefront.domain.orders import Order, check_settable
from storefront.http.openapi import envelope
from storefront.http.orders import OrderIn, OrderOut, OrderPatch, present
from storefront.http.service_routes import BulkChangeIn, SyncMeta, Tombstone, nested, synced


class ImportedOrderIn(OrderIn):
    """A batch item: an order as POST /orders takes it, for the live user ``user_id`` of the tenant."""

    user_id: UUID

    def refuse(self) -> None:
        """As an order body's (AUTH_003 naming a field only the server sets), except ``user_id``: here the caller
        names whose order it is."""
        check_settable(self.model_fields_set - {"user_id"})


def order_item(item: dict[str, Any]) -> ImportedOrder:
    """A batch item parsed (pydantic's errors become the item's VAL_xxx)."""
    body = ImportedOrderIn.model_validate(item)
    return ImportedOrder(body.user_id, body.to_request())


def order_change(item: dict[str, Any]) -> OrderChange:
    """A bulk-update item: ``{id, version, changes}``, the changes as PATCH /orders/{id} takes them."""
    parsed = BulkChangeIn.model_validate(item)
    patch = nested("changes", OrderPatch.model_validate, parsed.changes)
    return OrderChange(parsed.id, parsed.version, patch.to_changes())


class SyncedOrderOut(OrderOut):
    """A live order in a sync page."""

    deleted: Literal[False]


OrderSyncEnvelope = envelope("OrderSyncEnvelope", list[SyncedOrderOut | Tombstone], SyncMeta)


def present_synced_order(order: Order) -> dict[str, Any]:
    """An order as a sync page shows it: the whole order, or a tombstone once deleted."""
    return synced(order, present)
