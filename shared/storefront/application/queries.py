"""Collection queries: paging, sorting and filters, independent of storage."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, Literal, TypeVar

from storefront.domain.products import ProductStatus

T = TypeVar("T")

PRODUCT_SORT_FIELDS = ("created_at", "updated_at", "name", "sku", "price", "stock")
SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """Which live products to list, in which order, and which page."""

    limit: int = 20
    offset: int = 0
    sort: str = "created_at"
    order: SortOrder = "desc"
    status: ProductStatus | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a collection and where it stands in the whole."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_prev(self) -> bool:
        return self.offset > 0
