"""The product service routes: batch creation, bulk updates with optimistic versions, and sync.

Each item is judged on its own: a bad item is reported at its index and the good ones are applied, in one
transaction of a few bulk statements (``application/bulk.py``). A SKU taken by a concurrent writer between the
check and the insert fails the whole statement, so the work is checked and done once more (the second time
the SKU is reported as taken).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from storefront.application.bulk import (
    ItemResult,
    SyncPage,
    check_item_count,
    failed,
    first_of_each,
    retrying,
    sync_listing,
    sync_page,
    taken,
)
from storefront.application.ports import CatalogPorts, UnitOfWork
from storefront.application.products import cache_key, stale_version, totals_scope
from storefront.application.queries import Keyset
from storefront.domain.errors import AppError, NotFound, ValidationFailed
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
    check_item_count(len(items))
    now = ports.clock.now()
    results: dict[int, ItemResult] = {}
    candidates: list[tuple[int, Product]] = []
    for index, item in enumerate(items):
        if isinstance(item, AppError):
            results[index] = failed(index, item)
            continue
        try:
            candidates.append((index, Product.create(principal.tenant_id, item, principal.user_id, now)))
        except ValidationFailed as invalid:
            results[index] = failed(index, invalid)
    candidates, repeated = first_of_each(candidates, lambda p: {"sku": p.details.sku})
    results.update(repeated)

    def insert() -> dict[int, ItemResult]:
        outcome: dict[int, ItemResult] = {}
        with ports.unit_of_work() as uow:
            skus = uow.products.taken_skus(principal.tenant_id, [p.details.sku for _, p in candidates])
            fresh = [(i, p) for i, p in candidates if p.details.sku not in skus]
            outcome.update((i, failed(i, taken("sku"))) for i, p in candidates if p.details.sku in skus)
            uow.products.add_many([p for _, p in fresh])
            uow.commit()
        outcome.update((i, ItemResult(i, "created", p.id)) for i, p in fresh)
        return outcome

    if candidates:
        results.update(retrying(insert))
        ports.totals.forget(totals_scope(principal.tenant_id))
    return [results[i] for i in range(len(items))]


def bulk_update_products(
    ports: CatalogPorts, principal: Principal, items: Sequence[ProductChange | AppError]
) -> list[ItemResult]:
    """Apply each change whose version is current: ``updated``, ``conflict`` (stale version: the current one in
    the error's details), or ``failed`` (not found, invalid, SKU taken); results in input order."""
    check_item_count(len(items))
    results: dict[int, ItemResult] = {}
    changes: list[tuple[int, ProductChange]] = []
    for index, item in enumerate(items):
        if isinstance(item, AppError):
            results[index] = failed(index, item)
        else:
            changes.append((index, item))
    changes, repeated = first_of_each(changes, lambda c: {"id": str(c.id)})
    results.update(repeated)

    def apply() -> dict[int, ItemResult]:
        with ports.unit_of_work() as uow:
            outcome, writes = _judge(uow, principal, changes, ports.clock.now())
            uow.products.update_many(writes)
            uow.commit()
        return outcome

    if changes:
        outcome = retrying(apply)
        results.update(outcome)
        updated = [r.id for r in outcome.values() if r.status == "updated" and r.id is not None]
        if updated:
            ports.cache.delete_many([cache_key(principal.tenant_id, product_id) for product_id in updated])
            ports.totals.forget(totals_scope(principal.tenant_id))
    return [results[i] for i in range(len(items))]


def _judge(
    uow: UnitOfWork, principal: Principal, changes: list[tuple[int, ProductChange]], now: Any
) -> tuple[dict[int, ItemResult], list[tuple[Product, int]]]:
    """Each change's outcome, and the new versions to write with the versions they replace (rows locked)."""
    current = uow.products.get_many(principal.tenant_id, [c.id for _, c in changes], lock=True)
    outcome: dict[int, ItemResult] = {}
    revised: list[tuple[int, Product, Product]] = []
    for index, change in changes:
        product = current.get(change.id)
        if product is None:
            outcome[index] = failed(index, NotFound("Product not found"))
        elif product.version != change.version:
            outcome[index] = ItemResult(index, "conflict", product.id, stale_version(product.version))
        else:
            try:
                new = product.revise(replace(product.details, **change.changes), principal.user_id, now)
            except ValidationFailed as invalid:
                outcome[index] = failed(index, invalid)
                continue
            revised.append((index, product, new))
    moved = {new.details.sku for _, old, new in revised if new.details.sku != old.details.sku}
    held = uow.products.taken_skus(principal.tenant_id, sorted(moved)) if moved else set()
    claimed: set[str] = set()
    writes: list[tuple[Product, int]] = []
    for index, old, new in revised:
        sku = new.details.sku
        if sku != old.details.sku and (sku in held or sku in claimed):
            outcome[index] = failed(index, taken("sku"))
            continue
        claimed.add(sku)
        writes.append((new, old.version))
        outcome[index] = ItemResult(index, "updated", new.id)
    return outcome, writes


def sync_products(
    ports: CatalogPorts, tenant_id: UUID, cursor: str | None, limit: int, lag_seconds: float
) -> SyncPage[Product]:
    """The tenant's products changed after ``cursor`` (deleted ones too), oldest change first."""

    def read(after: Keyset | None, horizon: Any, count: int) -> list[Product]:
        with ports.unit_of_work() as uow:
            return uow.products.changes(tenant_id, after, horizon, count)

    listing = sync_listing(tenant_id, "products")
    return sync_page(listing, cursor, limit, ports.clock.now(), lag_seconds, read, lambda p: Keyset(p.updated_at, p.id))
