"""Admin orders over HTTP: the update body an admin sends, and what the admin routes say of themselves.

The representation is the owner's (``http.orders.present``): an admin sees the same order, history included.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field, StrictInt

from storefront.domain.orders import NOTES_MAX, OrderStatus
from storefront.http.request_body import READ_ONLY, RequestBody

ADMIN_ORDER_LIST_HELP = (
    "`limit` (1..100) and `offset` (0..10000) or `cursor`, `sort` (created_at, updated_at, total) and `order`, "
    "filters `status`, `user_id`, `created_from` and `created_to` (dates or date-times, inclusive), `min_total` "
    "and `max_total` (inclusive)."
)


class AdminOrderUpdate(RequestBody):
    """What an admin sets on an order: its status (the one it has, or the next fulfilment step: CONFIRMED ->
    SHIPPED -> DELIVERED) and its notes (null clears them)."""

    # An order's representation sent back is accepted: the fields the server owns are ignored (the status is
    # the admin's to set here).
    IGNORED: ClassVar[frozenset[str]] = READ_ONLY | {"user_id", "payment_status", "total", "history"}
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "SHIPPED", "notes": "Tracking 1Z999AA10123456784"}]},
    )

    status: OrderStatus
    notes: str | None = Field(json_schema_extra={"maxLength": NOTES_MAX})
    version: StrictInt | None = None
