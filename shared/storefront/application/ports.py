"""The ports the use cases depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self
from uuid import UUID

from storefront.application.queries import Keyset, ProductQuery, Window
from storefront.domain.products import Product


class ProductRepository(Protocol):
    def add(self, product: Product) -> None:
        """Insert a new product (BIZ_002 Conflict when its SKU is taken in the tenant)."""

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        """The live (not deleted) product of the tenant, or None."""

    def search(
        self, tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Product]:
        """Up to ``query.limit + 1`` of the tenant's live products matching the query, in the query's order
        with the id breaking ties in the same direction, starting after ``after`` (else at ``query.offset``),
        and how many match, counted up to TOTAL_CAP + 1 (not counted again when ``known_matches`` says it)."""

    def update(self, product: Product, expected_version: int) -> bool:
        """Store ``product`` if the stored row is live and still at ``expected_version``; False otherwise."""


class UnitOfWork(Protocol):
    """A transaction: rolls back on exit unless ``commit`` was called."""

    @property
    def products(self) -> ProductRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class Cache(Protocol):
    """A best-effort key/value cache: a failing cache behaves as an empty one."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    def delete(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RecalledTotal:
    """What the totals memo holds for one list: its capped match count (None when unknown) and the
    generation of the scope it was read in (None when nothing may be remembered, e.g. the memo is down)."""

    matches: int | None
    generation: str | None


class ListTotals(Protocol):
    """Remembers how many rows each list of a scope (one tenant's catalogue) matches, until a write to the
    scope makes it forget them all: a list page then counts its matches once per change, not per request."""

    def recall(self, scope: str, listing: str) -> RecalledTotal:
        """The remembered count of ``listing`` in ``scope`` and the scope's current generation."""

    def remember(self, scope: str, listing: str, generation: str, matches: int) -> None:
        """Keep ``matches`` for ``listing`` unless the scope changed since ``generation`` was recalled."""

    def forget(self, scope: str) -> None:
        """Drop every count of ``scope`` (after a committed write to it)."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


@dataclass(frozen=True, slots=True)
class CatalogPorts:
    """What the product use cases need."""

    unit_of_work: Callable[[], UnitOfWork]
    cache: Cache
    totals: ListTotals
    clock: Clock
    cache_ttl_seconds: int = 60


class SecretStore(Protocol):
    def json_secret(self, secret_id: str) -> dict[str, Any]:
        """The secret's value parsed as a JSON object; ServiceUnavailable when it cannot be read."""


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token; raises Unauthenticated, or TokenExpired when it has expired."""
