"""Product use cases: the catalogue's reads (cache-aside) and writes (optimistic locking, soft delete)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from storefront.application.listing import remembered_page
from storefront.application.ports import Cache, CatalogPorts, ListTotals, UnitOfWork
from storefront.application.queries import Keyset, Page, ProductQuery, Window
from storefront.domain.errors import Conflict, NotFound
from storefront.domain.identity import Principal
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductDetails, ProductStatus

Change = Callable[[Product, datetime], Product]


@dataclass(frozen=True, slots=True)
class Lookup:
    """A product read, and whether it came from the cache."""

    product: Product
    cache_hit: bool


def cache_key(tenant_id: UUID, product_id: UUID) -> str:
    """Where one product is cached."""
    return f"storefront:products:{tenant_id}:{product_id}"


def list_products(ports: CatalogPorts, tenant_id: UUID, query: ProductQuery) -> Page[Product]:
    """One page of the tenant's live products, by offset or after a cursor (VAL_002 for a foreign cursor).

    The capped match count is remembered per filter set until the tenant's catalogue changes, so repeated
    and further pages read only their rows; a list remembered to match nothing reads no rows at all.
    """
    query.validate()
    listing = query.listing(tenant_id)

    def read(after: Keyset | None, known_matches: int | None) -> Window[Product]:
        with ports.unit_of_work() as uow:
            return uow.products.search(tenant_id, query, after, known_matches=known_matches)

    return remembered_page(ports.totals, totals_scope(tenant_id), listing, query, read)


def totals_scope(tenant_id: UUID) -> str:
    """The totals memo's scope of a tenant's products: every product write makes it forget."""
    return f"products:{tenant_id}"


def forget_stock_change(cache: Cache, totals: ListTotals, tenant_id: UUID, product_ids: Iterable[UUID]) -> None:
    """After a committed change to the stock of ``product_ids`` (an order reserving or giving it back): forget
    what a product write makes the product routes forget, each product's cache entry and the tenant's product
    list totals (a list filtered on stock counts differently now)."""
    for product_id in product_ids:
        cache.delete(cache_key(tenant_id, product_id))
    totals.forget(totals_scope(tenant_id))


def get_product(ports: CatalogPorts, tenant_id: UUID, product_id: UUID) -> Lookup:
    """The tenant's live product, from the cache when it is there (BIZ_001 when absent)."""
    key = cache_key(tenant_id, product_id)
    cached = ports.cache.get(key)
    product = _decode(cached) if cached is not None else None
    if product is not None and product.tenant_id == tenant_id:
        return Lookup(product, cache_hit=True)
    with ports.unit_of_work() as uow:
        product = _require(uow, tenant_id, product_id)
    ports.cache.set(key, _encode(product), ports.cache_ttl_seconds)
    return Lookup(product, cache_hit=False)


def create_product(ports: CatalogPorts, principal: Principal, details: ProductDetails) -> Product:
    """Add a product to the caller's tenant (BIZ_002 when the SKU is taken)."""
    product = Product.create(principal.tenant_id, details, principal.user_id, ports.clock.now())
    with ports.unit_of_work() as uow:
        uow.products.add(product)
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id))
    return product


def replace_product(
    ports: CatalogPorts,
    principal: Principal,
    product_id: UUID,
    details: ProductDetails,
    expected_version: int | None,
) -> Product:
    """Replace every client field of a product (BIZ_002 when ``expected_version`` is stale)."""
    return _write(
        ports, principal, product_id, expected_version, lambda p, now: p.revise(details, principal.user_id, now)
    )


def update_product(
    ports: CatalogPorts,
    principal: Principal,
    product_id: UUID,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> Product:
    """Change some client fields of a product, keeping the others."""
    return _write(
        ports,
        principal,
        product_id,
        expected_version,
        lambda p, now: p.revise(replace(p.details, **changes), principal.user_id, now),
    )


def delete_product(ports: CatalogPorts, principal: Principal, product_id: UUID, expected_version: int | None) -> None:
    """Soft-delete a product: it is then 404 and absent from lists."""
    _write(ports, principal, product_id, expected_version, lambda p, now: p.delete(principal.user_id, now))


def _write(
    ports: CatalogPorts, principal: Principal, product_id: UUID, expected_version: int | None, change: Change
) -> Product:
    with ports.unit_of_work() as uow:
        current = _require(uow, principal.tenant_id, product_id)
        if expected_version is not None and expected_version != current.version:
            raise stale_version(current.version)
        changed: Product = change(current, ports.clock.now())
        if not uow.products.update(changed, current.version):
            raise stale_version(None)
        uow.commit()
    ports.cache.delete(cache_key(principal.tenant_id, product_id))
    ports.totals.forget(totals_scope(principal.tenant_id))
    return changed


def stale_version(current_version: int | None) -> Conflict:
    """BIZ_002 for a write based on an old version (with the current one when known)."""
    details: dict[str, Any] = {"reason": "the product was changed by someone else; read it again and retry"}
    if current_version is not None:
        details["current_version"] = current_version
    return Conflict("Version conflict", details=details)


def _require(uow: UnitOfWork, tenant_id: UUID, product_id: UUID) -> Product:
    product = uow.products.get(tenant_id, product_id)
    if product is None:
        raise NotFound("Product not found")
    return product


def _encode(p: Product) -> bytes:
    d = p.details
    return json.dumps(
        {
            "id": str(p.id),
            "tenant_id": str(p.tenant_id),
            "sku": d.sku,
            "name": d.name,
            "description": d.description,
            "price": [str(d.price.amount), d.price.currency],
            "stock": d.stock,
            "status": d.status.value,
            "category": d.category,
            "version": p.version,
            "created_at": p.created_at.isoformat(),
            "updated_at": p.updated_at.isoformat(),
            "created_by": p.created_by,
            "updated_by": p.updated_by,
        },
        separators=(",", ":"),
    ).encode()


def _decode(raw: bytes) -> Product | None:
    """The cached product, or None when the entry is unreadable (it is then refreshed)."""
    try:
        return _product_from_record(json.loads(raw))
    except (ValueError, KeyError, TypeError):
        return None


def _product_from_record(r: dict[str, Any]) -> Product:
    return Product(
        id=UUID(r["id"]),
        tenant_id=UUID(r["tenant_id"]),
        details=ProductDetails(
            sku=r["sku"],
            name=r["name"],
            description=r["description"],
            price=Money.of(*r["price"]),
            stock=r["stock"],
            status=ProductStatus(r["status"]),
            category=r["category"],
        ),
        version=r["version"],
        created_at=datetime.fromisoformat(r["created_at"]),
        updated_at=datetime.fromisoformat(r["updated_at"]),
        created_by=r["created_by"],
        updated_by=r["updated_by"],
    )
