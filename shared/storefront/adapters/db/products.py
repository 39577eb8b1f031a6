"""The product repository on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select

from storefront.adapters.db.entity_rows import EntityRows
from storefront.adapters.db.lists import EntityList
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import PRODUCT_SEARCH_TERMS, PRODUCTS
from storefront.application.queries import Keyset, ProductQuery, Window
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductDetails, ProductStatus
from storefront.domain.search import search_words

PRODUCT_LISTS = EntityList(
    PRODUCTS,
    PRODUCT_SEARCH_TERMS,
    "PRODUCT",
    {
        "created_at": PRODUCTS.c.CREATED_AT,
        "updated_at": PRODUCTS.c.UPDATED_AT,
        "name": PRODUCTS.c.NAME,
        "sku": PRODUCTS.c.SKU,
        "price": PRODUCTS.c.PRICE_AMOUNT,
        "stock": PRODUCTS.c.STOCK,
    },
)


def column_filters(query: ProductQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of the query's filters on PRODUCTS' own columns (status, category, price)."""
    terms: list[ColumnElement[bool]] = []
    if query.status is not None:
        terms.append(PRODUCTS.c.STATUS == query.status.value)
    if query.category is not None:
        terms.append(PRODUCTS.c.CATEGORY == query.category)
    if query.min_price is not None:
        terms.append(PRODUCTS.c.PRICE_AMOUNT >= query.min_price)
    if query.max_price is not None:
        terms.append(PRODUCTS.c.PRICE_AMOUNT <= query.max_price)
    return terms


def count_statement(tenant_id: UUID, query: ProductQuery) -> Select[Any]:
    """SELECT how many products match the query, up to TOTAL_CAP + 1 (a search alone from its terms only)."""
    return PRODUCT_LISTS.count_statement(tenant_id, query.words, column_filters(query))


def page_statement(
    tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, counted: bool = True
) -> Select[Any]:
    """SELECT one page of products plus one and, when ``counted``, the capped count as MATCHES in the same
    round trip (a caller that already knows the count leaves it out)."""
    return PRODUCT_LISTS.page_statement(tenant_id, query, column_filters(query), after, counted=counted)


def terms_of(product: Product) -> tuple[str, ...]:
    """The search terms a product is found by: its name's words while it is live, none once deleted."""
    return () if product.deleted_at is not None else search_words(product.details.name)


def to_row(product: Product) -> dict[str, Any]:
    """The column values of a product."""
    d = product.details
    return {
        "ID": product.id,
        "TENANT_ID": product.tenant_id,
        "CREATED_AT": product.created_at,
        "UPDATED_AT": product.updated_at,
        "CREATED_BY": product.created_by,
        "UPDATED_BY": product.updated_by,
        "DELETED_AT": product.deleted_at,
        "VERSION": product.version,
        "SKU": d.sku,
        "NAME": d.name,
        "DESCRIPTION": d.description or None,
        "PRICE_AMOUNT": d.price.amount,
        "PRICE_CURRENCY": d.price.currency,
        "STOCK": d.stock,
        "STATUS": d.status.value,
        "CATEGORY": d.category or None,
    }


def from_row(row: Any) -> Product:
    """The product stored in a row."""
    return Product(
        id=row.ID,
        tenant_id=row.TENANT_ID,
        details=ProductDetails(
            sku=row.SKU,
            name=row.NAME,
            description=row.DESCRIPTION or "",
            price=Money.of(row.PRICE_AMOUNT, row.PRICE_CURRENCY),
            stock=int(row.STOCK),
            status=ProductStatus(row.STATUS),
            category=row.CATEGORY,
        ),
        version=int(row.VERSION),
        created_at=row.CREATED_AT,
        updated_at=row.UPDATED_AT,
        created_by=row.CREATED_BY,
        updated_by=row.UPDATED_BY,
        deleted_at=row.DELETED_AT,
    )


class SqlProductRepository:
    """Products in the PRODUCTS table and their name words in PRODUCT_SEARCH_TERMS; every statement is
    scoped to one tenant. It remembers the terms of the products it read, so an update that keeps the name
    costs one statement."""

    def __init__(self, statements: Statements) -> None:
        self._rows = EntityRows(statements, PRODUCT_LISTS, to_row, from_row, terms_of)

    def add(self, product: Product) -> None:
        self._rows.add(product)

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        return self._rows.get(tenant_id, product_id)

    def search(
        self, tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Product]:
        return self._rows.search(tenant_id, query, column_filters(query), after, known_matches=known_matches)

    def update(self, product: Product, expected_version: int) -> bool:
        return self._rows.update(product, expected_version)

    def taken_skus(self, tenant_id: UUID, skus: Sequence[str]) -> set[str]:
        return self._rows.taken(PRODUCTS.c.SKU, tenant_id, skus)

    def add_many(self, products: Sequence[Product]) -> None:
        self._rows.add_many(products)

    def get_many(self, tenant_id: UUID, product_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Product]:
        return self._rows.get_many(tenant_id, product_ids, lock=lock)

    def update_many(self, changes: Sequence[tuple[Product, int]]) -> None:
        self._rows.update_many(changes)

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Product]:
        return self._rows.changes(tenant_id, after, until, limit)
