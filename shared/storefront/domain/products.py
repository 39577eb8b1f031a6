"""The product entity and the rules every product obeys."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from storefront.domain.errors import ErrorCode, FieldError, ValidationFailed
from storefront.domain.money import Money
from storefront.domain.text import has_control_characters

SKU_MAX = 64
NAME_MAX = 200
DESCRIPTION_MAX = 4000
CATEGORY_MAX = 100
PRICE_MAX = Decimal("9999999999.99")
STOCK_MAX = 2_147_483_647  # fits a 32-bit INTEGER column on every backend


class ProductStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISCONTINUED = "discontinued"


@dataclass(frozen=True, slots=True)
class ProductDetails:
    """What a client says about a product; ``validated`` is the only way to get a checked one."""

    sku: str
    name: str
    price: Money
    stock: int
    description: str = ""
    status: ProductStatus = ProductStatus.ACTIVE
    category: str | None = None

    def validated(self) -> ProductDetails:
        """Return self when every rule holds, else raise ValidationFailed listing every broken rule."""
        errors = [e for e in _check(self) if e is not None]
        if errors:
            raise ValidationFailed(errors)
        return self


def _length(field: str, value: str, low: int, high: int) -> FieldError | None:
    if not low <= len(value) <= high:
        return FieldError(field, ErrorCode.OUT_OF_RANGE, f"must be {low} to {high} characters long")
    return None


def _one_line(field: str, value: str | None) -> FieldError | None:
    if value is not None and has_control_characters(value):
        return FieldError(field, ErrorCode.INVALID_FORMAT, "must be one line without control characters")
    return None


def _check(d: ProductDetails) -> list[FieldError | None]:
    price_error = None
    if d.price.amount <= 0:
        price_error = FieldError("price.amount", ErrorCode.OUT_OF_RANGE, "must be greater than 0")
    elif d.price.decimal_places > 2:
        price_error = FieldError("price.amount", ErrorCode.OUT_OF_RANGE, "must have at most 2 decimal places")
    elif d.price.amount > PRICE_MAX:
        price_error = FieldError("price.amount", ErrorCode.OUT_OF_RANGE, f"must be at most {PRICE_MAX}")
    return [
        _length("sku", d.sku.strip(), 1, SKU_MAX) or _one_line("sku", d.sku),
        _length("name", d.name.strip(), 1, NAME_MAX) or _one_line("name", d.name),
        _length("description", d.description, 0, DESCRIPTION_MAX),
        price_error,
        None if 0 <= d.stock <= STOCK_MAX else FieldError("stock", ErrorCode.OUT_OF_RANGE, f"must be 0 to {STOCK_MAX}"),
        (_length("category", d.category, 1, CATEGORY_MAX) or _one_line("category", d.category))
        if d.category is not None
        else None,
    ]


@dataclass(frozen=True, slots=True)
class Product:
    """A product of one tenant's catalogue, with its audit trail and optimistic-lock version."""

    id: UUID
    tenant_id: UUID
    details: ProductDetails
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    deleted_at: datetime | None = None

    @classmethod
    def create(cls, tenant_id: UUID, details: ProductDetails, actor: str, now: datetime) -> Product:
        """A new product at version 1."""
        return cls(
            id=uuid4(),
            tenant_id=tenant_id,
            details=details.validated(),
            version=1,
            created_at=now,
            updated_at=now,
            created_by=actor,
            updated_by=actor,
        )

    def revise(self, details: ProductDetails, actor: str, now: datetime) -> Product:
        """The next version of this product with new details."""
        return replace(self, details=details.validated(), version=self.version + 1, updated_at=now, updated_by=actor)

    def delete(self, actor: str, now: datetime) -> Product:
        """The soft-deleted next version of this product."""
        return replace(self, deleted_at=now, version=self.version + 1, updated_at=now, updated_by=actor)
