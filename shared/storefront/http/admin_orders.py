"""Admin orders over HTTP: the update body an admin sends, and what the admin routes say of themselves.

The representation is the owner's (``http.orders.present``): an admin sees the same order, history included.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from storefront.domain.orders import NOTES_MAX, OrderStatus
from storefront.http.orders import SERVER_OWNED

ADMIN_ORDER_LIST_HELP = (
    "`limit` (1..100) and `offset` (0..10000) or `cursor`, `sort` (created_at, updated_at, total) and `order`, "
    "filters `status`, `user_id`, `created_from` and `created_to` (dates or date-times, inclusive), `min_total` "
    "and `max_total` (inclusive)."
)
# What an admin's body may carry besides the fields it sets: an order's representation sent back is accepted,
# its server-owned fields ignored (the status is the admin's to set here).
_IGNORED = SERVER_OWNED - {"status"}


class AdminOrderUpdate(BaseModel):
    """What an admin sets on an order: its status (the one it has, or the next fulfilment step: CONFIRMED ->
    SHIPPED -> DELIVERED) and its notes (null clears them)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "SHIPPED", "notes": "Tracking 1Z999AA10123456784"}]},
    )

    status: OrderStatus
    notes: str | None = Field(json_schema_extra={"maxLength": NOTES_MAX})
    version: StrictInt | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_server_owned(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in _IGNORED}
        return data
