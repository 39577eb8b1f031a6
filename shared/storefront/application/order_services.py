"""The order service routes: sync (every user's orders of the tenant, oldest change first, deleted ones as
tombstones). Order changes are stamped in UPDATED_AT by the order use cases and the saga alike, so a sync sees the
asynchronous steps (RESERVED, CONFIRMED, FAILED, refunds) as they commit."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from storefront.application.bulk import SyncPage, sync_listing, sync_page
from storefront.application.ports import OrderPorts
from storefront.application.queries import Keyset
from storefront.domain.orders import Order


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
