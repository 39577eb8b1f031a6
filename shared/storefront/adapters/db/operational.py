"""The statement behind the orders-by-status metric (every tenant for a deployment operator, one tenant for a
tenant's service): one aggregate the database computes; no rows come back. The outbox backlog's is
``outbox.backlog_statement``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select

from storefront.adapters.db.tables import ORDERS


def orders_by_status_statement(tenant_id: UUID | None = None) -> Select[Any]:
    """The number of orders in each status: of ``tenant_id``'s orders, or of every tenant's when None."""
    statement = select(ORDERS.c.STATUS, func.count())
    if tenant_id is not None:
        statement = statement.where(ORDERS.c.TENANT_ID == tenant_id)
    return statement.group_by(ORDERS.c.STATUS)
