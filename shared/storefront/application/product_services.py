"""The product service routes: batch creation, bulk updates with optimistic versions, and sync.

Each item is judged on its own: a bad item is reported at its index and the good ones are applied, in one
transaction of a few bulk statements (``application/bulk.py``). A SKU taken by a concurrent writer between the
check and the insert fails the whole statement, so the work is checked and done once more (the second time
the SKU is reported as taken).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from storefront.application.bulk import (
    ItemResult,
    SyncPage,
    UpdateRules,
    create_batch,
    judge_updates,
    sync_listing,
    sync_page,
    update_batch,
)
from storefront.application.ports import CatalogPorts, UnitOfWork
from storefront.application.products import cache_key, stale_version, totals_scope
from storefront.application.queries import Keyset
from storefront.domain.errors import AppError, NotFound
from storefront.domain.identity import Principal
from storefront.domain.products import Product, ProductDetails


@dataclass(frozen=True, slots=True)
class ProductChange:
    """One item of a bulk update: the product, the version the caller read, the detail fields to change."""

    id: UUID
    version: int
    changes: Mapping[str, Any]


def batch_create_products(
    ports: CatalogPorts, principal: Principal, items: Sequence[ProductDetails | AppError]
) -> list[ItemResult]:
    """Create the valid items (the SKU new in the tenant and in the batch); results in input order."""
    now = ports.clock.now()
    return create_batch(
        items,
        lambda details: Product.create(principal.tenant_id, details, principal.user_id, now),
        _sku,
        unit_of_work=ports.unit_of_work,
        held=lambda uow, wanted: _held_skus(uow, principal, wanted),
        add_many=lambda uow, products: uow.products.add_many(products),
        created=lambda: ports.totals.forget(totals_scope(principal.tenant_id)),
    )


def bulk_update_products(
    ports: CatalogPorts, principal: Principal, items: Sequence[ProductChange | AppError]
) -> list[ItemResult]:
    """Apply each change whose version is current: ``updated``, ``conflict`` (stale version: the current one in
    the error's details), or ``failed`` (not found, invalid, SKU taken); results in input order."""

    def forget(updated: list[UUID]) -> None:
        if updated:
            ports.cache.delete_many([cache_key(principal.tenant_id, product_id) for product_id in updated])
            ports.totals.forget(totals_scope(principal.tenant_id))

    return update_batch(
        items,
        lambda change: change,
        unit_of_work=ports.unit_of_work,
        judge=lambda uow, changes: _judge(uow, principal, changes, ports.clock.now()),
        update_many=lambda uow, writes: uow.products.update_many(writes),
        updated=forget,
    )


def _sku(product: Product) -> dict[str, str]:
    return {"sku": product.details.sku}


def _held_skus(uow: UnitOfWork, principal: Principal, wanted: Mapping[str, list[str]]) -> dict[str, set[str]]:
    return {"sku": uow.products.taken_skus(principal.tenant_id, wanted.get("sku", []))}


def _judge(
    uow: UnitOfWork, principal: Principal, changes: list[tuple[int, ProductChange]], now: datetime
) -> tuple[dict[int, ItemResult], list[tuple[Product, int]]]:
    """Each change's outcome, and the new versions to write with the versions they replace (rows locked)."""
    rules: UpdateRules[Product, ProductChange] = UpdateRules(
        revise=lambda p, c: p.revise(replace(p.details, **c.changes), principal.user_id, now),
        unique=_sku,
        held=lambda moved: _held_skus(uow, principal, moved),
        missing=lambda: NotFound("Product not found"),
        stale=stale_version,
    )
    current = uow.products.get_many(principal.tenant_id, [c.id for _, c in changes], lock=True)
    return judge_updates(changes, current, rules)


def sync_products(
    ports: CatalogPorts, tenant_id: UUID, cursor: str | None, limit: int, lag_seconds: float
) -> SyncPage[Product]:
    """The tenant's products changed after ``cursor`` (deleted ones too), oldest change first."""

    def read(after: Keyset | None, horizon: Any, count: int) -> list[Product]:
        with ports.unit_of_work() as uow:
            return uow.products.changes(tenant_id, after, horizon, count)

    listing = sync_listing(tenant_id, "products")
    return sync_page(listing, cursor, limit, ports.clock.now(), lag_seconds, read, lambda p: Keyset(p.updated_at, p.id))
