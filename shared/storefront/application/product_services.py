"""The product service routes: batch creation, bulk updates with optimistic versions, and sync.

Each item is judged on its own: a bad item is reported at its index and the good ones are applied, in one
transaction of a few bulk statements (``application/bulk.py``). A SKU taken by a concurrent writer between the
check and the insert fails the whole statement, so the work is checked and done once more (the second time
the SKU is reported as taken).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from storefront.application.bulk import ItemResult, SyncPage, check_item_count, sync_listing, sync_page
from storefront.application.ports import CatalogPorts, UnitOfWork
from storefront.application.products import cache_key, stale_version, totals_scope
from storefront.application.queries import Keyset
from storefront.domain.errors import AppError, Conflict, NotFound, ValidationFailed
from storefront.domain.identity import Principal
from storefront.domain.products import Product, ProductDetails

ATTEMPTS = 2  # a SKU taken by a concurrent writer mid-request: checked and done once more


@dataclass(frozen=True, slots=True)
class ProductChange:
    """One item of a bulk update: the product, the version the caller read, the detail fields to change."""

    id: UUID
    version: int
    changes: Mapping[str, Any]


def _failed(index: int, error: AppError) -> ItemResult:
    return ItemResult(index, "failed", error=error)


def _sku_taken() -> Conflict:
    return Conflict("The SKU is taken in this tenant", details={"field": "sku", "reason": "is taken"})


def _retrying(work: Callable[[], dict[int, ItemResult]]) -> dict[int, ItemResult]:
    for attempt in range(ATTEMPTS):
        try:
            return work()
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def batch_create_products(
    ports: CatalogPorts, principal: Principal, items: Sequence[ProductDetails | AppError]
) -> list[ItemResult]:
    """Create the valid items (the SKU new in the tenant and in the batch); results in input order."""
    check_item_count(len(items))
    now = ports.clock.now()
    results: dict[int, ItemResult] = {}
    candidates: list[tuple[int, Product]] = []
    first_with_sku: dict[str, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, AppError):
            results[index] = _failed(index, item)
            continue
        try:
            product = Product.create(principal.tenant_id, item, principal.user_id, now)
        except ValidationFailed as invalid:
            results[index] = _failed(index, invalid)
            continue
        sku = product.details.sku
        if sku in first_with_sku:
            results[index] = _failed(index, Conflict(f"The SKU is also item {first_with_sku[sku]} of this batch"))
            continue
        first_with_sku[sku] = index
        candidates.append((index, product))

    def insert() -> dict[int, ItemResult]:
        outcome: dict[int, ItemResult] = {}
        with ports.unit_of_work() as uow:
            taken = uow.products.taken_skus(principal.tenant_id, [p.details.sku for _, p in candidates])
            fresh = [(i, p) for i, p in candidates if p.details.sku not in taken]
            outcome.update((i, _failed(i, _sku_taken())) for i, p in candidates if p.details.sku in taken)
            uow.products.add_many([p for _, p in fresh])
            uow.commit()
        outcome.update((i, ItemResult(i, "created", p.id)) for i, p in fresh)
        return outcome

    if candidates:
        results.update(_retrying(insert))
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
    first_with_id: dict[UUID, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, AppError):
            results[index] = _failed(index, item)
        elif item.id in first_with_id:
            results[index] = _failed(index, Conflict(f"The product is also item {first_with_id[item.id]}"))
        else:
            first_with_id[item.id] = index
            changes.append((index, item))

    def apply() -> dict[int, ItemResult]:
        with ports.unit_of_work() as uow:
            outcome, writes = _judge(uow, principal, changes, ports.clock.now())
            uow.products.update_many(writes)
            uow.commit()
        return outcome

    if changes:
        outcome = _retrying(apply)
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
            outcome[index] = _failed(index, NotFound("Product not found"))
        elif product.version != change.version:
            outcome[index] = ItemResult(index, "conflict", product.id, stale_version(product.version))
        else:
            try:
                new = product.revise(replace(product.details, **change.changes), principal.user_id, now)
            except ValidationFailed as invalid:
                outcome[index] = _failed(index, invalid)
                continue
            revised.append((index, product, new))
    moved = {new.details.sku for _, old, new in revised if new.details.sku != old.details.sku}
    taken = uow.products.taken_skus(principal.tenant_id, sorted(moved)) if moved else set()
    claimed: set[str] = set()
    writes: list[tuple[Product, int]] = []
    for index, old, new in revised:
        sku = new.details.sku
        if sku != old.details.sku and (sku in taken or sku in claimed):
            outcome[index] = _failed(index, _sku_taken())
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
