"""The statement behind the orders-by-status metric (whole table, every tenant: an operator's view): one
aggregate the database computes; no rows come back. The outbox backlog's is ``outbox.backlog_statement``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from storefront.adapters.db.tables import ORDERS


def orders_by_status_statement() -> Select[Any]:
    """The number of orders in each status."""
    return select(ORDERS.c.STATUS, func.count()).group_by(ORDERS.c.STATUS)
