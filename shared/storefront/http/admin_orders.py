"""Admin orders over HTTP: the update body an admin sends, and what the admin routes say of themselves.

The representation is the owner's (``http.orders.present``): an admin sees the same order, history included.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field, StrictInt

from storefront.domain.orders import NOTES_MAX, OrderStatus
from storefront.http.orders import OrderBody

ADMIN_ORDER_LIST_HELP = (
    "`limit` (1..100) and `offset` (0..10000) or `cursor`, `sort` (created_at, updated_at, total) and `order`, "
    "filters `status`, `user_id`, `created_from` and `created_to` (dates or date-times, inclusive), `min_total` "
    "and `max_total` (inclusive); `?fields=id,status,total` returns only those fields of each order."
)


class AdminOrderUpdate(OrderBody):
    """What an admin sets on an order: its status (the one it has, or the next fulfilment step: CONFIRMED ->
    SHIPPED -> DELIVERED) and its notes (null clears them)."""

    # The status is the admin's to set here; the other fields only the server sets are refused by name (403
    # AUTH_003) as on the owner's routes, and the read-only base fields are ignored.
    SETTABLE: ClassVar[frozenset[str]] = frozenset({"status"})
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "SHIPPED", "notes": "Tracking 1Z999AA10123456784"}]},
    )

    status: OrderStatus
    notes: str | None = Field(json_schema_extra={"maxLength": NOTES_MAX})
    version: StrictInt | None = None

    def checked(self) -> AdminOrderUpdate:
        """This body once no field only the server sets is in it (AUTH_003 naming the first that is)."""
        self.refuse()
        return self
