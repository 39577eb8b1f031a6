"""Fakes that implement the application ports, for tests that must not do I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self
from uuid import UUID

from storefront.application.ports import CatalogPorts
from storefront.application.queries import ProductQuery
from storefront.domain.errors import Conflict
from storefront.domain.products import Product


class FakeProductRepository:
    """Products in a dict, with the same tenant, liveness and version rules as the SQL repository."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Product] = {}

    def add(self, product: Product) -> None:
        if any(p.tenant_id == product.tenant_id and p.details.sku == product.details.sku for p in self.rows.values()):
            raise Conflict("The resource already exists")
        self.rows[product.id] = product

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        product = self.rows.get(product_id)
        if product is None or product.tenant_id != tenant_id or product.deleted_at is not None:
            return None
        return product

    def search(self, tenant_id: UUID, query: ProductQuery) -> tuple[list[Product], int]:
        found = [p for p in self.rows.values() if p.tenant_id == tenant_id and p.deleted_at is None]
        if query.status is not None:
            found = [p for p in found if p.details.status == query.status]
        if query.text:
            found = [p for p in found if query.text.lower() in p.details.name.lower()]
        found.sort(key=lambda p: (_sort_value(p, query.sort), p.id))
        if query.order == "desc":
            found.reverse()
        return found[query.offset : query.offset + query.limit], len(found)

    def update(self, product: Product, expected_version: int) -> bool:
        current = self.get(product.tenant_id, product.id)
        if current is None or current.version != expected_version:
            return False
        self.rows[product.id] = product
        return True


def _sort_value(product: Product, field: str) -> object:
    if field == "price":
        return product.details.price.amount
    if field in ("created_at", "updated_at"):
        return getattr(product, field)
    return getattr(product.details, field)


class FakeUnitOfWork:
    """Keeps changes only when committed, like a transaction."""

    def __init__(self, repository: FakeProductRepository) -> None:
        self._committed_state = repository
        self.products = FakeProductRepository()
        self.committed = False

    def __enter__(self) -> Self:
        self.products.rows = dict(self._committed_state.rows)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def commit(self) -> None:
        self._committed_state.rows = dict(self.products.rows)
        self.committed = True


class FakeCache:
    """A dict cache that can be switched off to behave like an unreachable Redis."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.down = False

    def get(self, key: str) -> bytes | None:
        return None if self.down else self.entries.get(key)

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if not self.down:
            self.entries[key] = value

    def delete(self, key: str) -> None:
        if not self.down:
            self.entries.pop(key, None)


@dataclass
class FixedClock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 10, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: int) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class FakeCatalog:
    """CatalogPorts wired to fakes, with handles on each fake."""

    repository: FakeProductRepository = field(default_factory=FakeProductRepository)
    cache: FakeCache = field(default_factory=FakeCache)
    clock: FixedClock = field(default_factory=FixedClock)
    units: list[FakeUnitOfWork] = field(default_factory=list)

    def unit_of_work(self) -> FakeUnitOfWork:
        unit = FakeUnitOfWork(self.repository)
        self.units.append(unit)
        return unit

    @property
    def ports(self) -> CatalogPorts:
        return CatalogPorts(unit_of_work=self.unit_of_work, cache=self.cache, clock=self.clock)
