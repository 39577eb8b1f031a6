"""The schema: one MetaData for Oracle, PostgreSQL and SQLite, with Oracle naming rules.

Names are UPPERCASE, constraints are named PK_/UK_/FK_/CK_/IX_, every string has a length, and
timestamps are TIMESTAMP WITH TIME ZONE (a plain DateTime would become Oracle DATE, losing zone and fraction).
Oracle stores '' as NULL, so optional text is nullable and the repositories map None and "" both ways.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    CheckConstraint,
    Column,
    Dialect,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

from storefront.domain.products import CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX, SKU_MAX, ProductStatus

NAMING_CONVENTION = {
    "pk": "PK_%(table_name)s",
    "uq": "UK_%(table_name)s_%(column_0_N_name)s",
    "fk": "FK_%(table_name)s_%(referred_table_name)s",
    "ck": "CK_%(table_name)s_%(constraint_name)s",
    "ix": "IX_%(table_name)s_%(column_0_N_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ACTOR_MAX = 64


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite and Oracle hand back naive values)."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcTimestamp needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def base_columns() -> list[Column[Any]]:
    """The columns every entity table starts with: identity, tenant, audit trail, soft delete, version."""
    return [
        Column("ID", Uuid(), primary_key=True),
        Column("TENANT_ID", Uuid(), nullable=False),
        Column("CREATED_AT", UtcTimestamp(), nullable=False),
        Column("UPDATED_AT", UtcTimestamp(), nullable=False),
        Column("CREATED_BY", String(ACTOR_MAX), nullable=False),
        Column("UPDATED_BY", String(ACTOR_MAX), nullable=False),
        Column("DELETED_AT", UtcTimestamp(), nullable=True),
        Column("VERSION", Integer(), nullable=False),
    ]


PRODUCTS = Table(
    "PRODUCTS",
    metadata,
    *base_columns(),
    Column("SKU", String(SKU_MAX), nullable=False),
    Column("NAME", String(NAME_MAX), nullable=False),
    Column("DESCRIPTION", String(DESCRIPTION_MAX), nullable=True),
    Column("PRICE_AMOUNT", Numeric(12, 2, asdecimal=True), nullable=False),
    Column("PRICE_CURRENCY", String(3), nullable=False),
    Column("STOCK", Integer(), nullable=False),
    Column("STATUS", String(20), nullable=False),
    Column("CATEGORY", String(CATEGORY_MAX), nullable=True),
    # A SKU stays reserved in its tenant after a soft delete: old orders keep pointing at it.
    UniqueConstraint("TENANT_ID", "SKU"),
    Index(None, "TENANT_ID", "CREATED_AT"),
    Index(None, "TENANT_ID", "CATEGORY"),
)
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.STATUS.in_([s.value for s in ProductStatus]), name="STATUS"))
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.STOCK >= 0, name="STOCK"))
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.PRICE_AMOUNT > 0, name="PRICE_AMOUNT"))
