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
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

from storefront.domain.products import CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX, SKU_MAX, ProductStatus
from storefront.domain.search import TERM_MAX

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
)
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.STATUS.in_([s.value for s in ProductStatus]), name="STATUS"))
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.STOCK >= 0, name="STOCK"))
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.PRICE_AMOUNT > 0, name="PRICE_AMOUNT"))


def list_index(name: str, table: Table, *leading: str, sort: str) -> Index:
    """An index serving one list order of a table's live rows: (TENANT_ID, leading..., sort, ID, DELETED_AT).

    The id breaks ties in the same direction as the sort, so one index serves asc and desc. PostgreSQL
    and SQLite keep soft-deleted rows out (partial index); Oracle has no partial indexes, so DELETED_AT is
    the last column there: ``DELETED_AT IS NULL`` is checked on the index entry, not on the table row, and
    the repeated TENANT_ID is prefix-compressed (COMPRESS 1).
    """
    live = table.c.DELETED_AT.is_(None)
    columns = [table.c.TENANT_ID, *(table.c[c] for c in leading), table.c[sort], table.c.ID, table.c.DELETED_AT]
    return Index(name, *columns, postgresql_where=live, sqlite_where=live, oracle_compress=1)


# One index per offered sort, and the equality filters in front of the default sort (created_at).
PRODUCT_LIST_INDEXES = (
    list_index("IX_PRODUCTS_LIST_CREATED_AT", PRODUCTS, sort="CREATED_AT"),
    list_index("IX_PRODUCTS_LIST_UPDATED_AT", PRODUCTS, sort="UPDATED_AT"),
    list_index("IX_PRODUCTS_LIST_NAME", PRODUCTS, sort="NAME"),
    list_index("IX_PRODUCTS_LIST_SKU", PRODUCTS, sort="SKU"),
    list_index("IX_PRODUCTS_LIST_PRICE", PRODUCTS, sort="PRICE_AMOUNT"),
    list_index("IX_PRODUCTS_LIST_STOCK", PRODUCTS, sort="STOCK"),
    list_index("IX_PRODUCTS_LIST_STATUS", PRODUCTS, "STATUS", sort="CREATED_AT"),
    list_index("IX_PRODUCTS_LIST_CATEGORY", PRODUCTS, "CATEGORY", sort="CREATED_AT"),
)

# The words of each live product's name (storefront.domain.search), kept by the product repository.
# Terms compare byte for byte, in code point order: PostgreSQL gets the "C" collation, SQLite's and Oracle's
# (NLS_COMP BINARY) default already is; so `TERM = :word` is exact on every backend and one index range.
# PRODUCT_CREATED_AT copies the product's (immutable) CREATED_AT, so one word's products can be read in the
# default list order straight from an index: the first page of a search walks a few entries, at any size.
PRODUCT_SEARCH_TERMS = Table(
    "PRODUCT_SEARCH_TERMS",
    metadata,
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("TERM", String(TERM_MAX).with_variant(String(TERM_MAX, collation="C"), "postgresql"), nullable=False),
    Column("PRODUCT_ID", Uuid(), ForeignKey(PRODUCTS.c.ID, ondelete="CASCADE"), nullable=False),
    Column("PRODUCT_CREATED_AT", UtcTimestamp(), nullable=False),
    PrimaryKeyConstraint("TENANT_ID", "TERM", "PRODUCT_ID"),
    Index(None, "PRODUCT_ID", "TERM"),
    Index(
        "IX_PRODUCT_SEARCH_TERMS_CREATED_AT", "TENANT_ID", "TERM", "PRODUCT_CREATED_AT", "PRODUCT_ID", oracle_compress=2
    ),
)
