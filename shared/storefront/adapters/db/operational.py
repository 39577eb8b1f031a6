"""The statements behind the operational metrics: the outbox backlog and the orders by status (whole table,
every tenant: an operator's view). Each is one aggregate the database computes; no rows come back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from storefront.adapters.db.tables import ORDERS, OUTBOX_MESSAGES


def outbox_backlog_statement() -> Select[int, Any]:
    """How many outbox messages wait to be published and when the oldest was written (IX_OUTBOX_MESSAGES_UNPUBLISHED
    starts with PUBLISHED_AT, CREATED_AT: the database reads only the unpublished entries)."""
    return select(func.count(), func.min(OUTBOX_MESSAGES.c.CREATED_AT)).where(OUTBOX_MESSAGES.c.PUBLISHED_AT.is_(None))


def orders_by_status_statement() -> Select[Any]:
    """The number of orders in each status."""
    return select(ORDERS.c.STATUS, func.count()).group_by(ORDERS.c.STATUS)
