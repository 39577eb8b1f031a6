"""The product repository on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, insert, select, update

from storefront.adapters.db.bulk import BulkRows
from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.lists import EntityList, SearchTermsKeeper
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
        self._statements = statements
        self._terms = SearchTermsKeeper(statements, PRODUCT_LISTS)
        self._bulk = BulkRows(statements, PRODUCT_LISTS, self._terms, to_row, from_row, terms_of)

    def add(self, product: Product) -> None:
        with translated_errors():
            self._statements.write(insert(PRODUCTS).values(**to_row(product)))
            self._terms.added(product.tenant_id, product.id, product.created_at, terms_of(product))

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        statement = select(PRODUCTS).where(PRODUCTS.c.ID == product_id, PRODUCT_LISTS.live(tenant_id))
        with translated_errors():
            row = self._statements.read(statement).first()
        if row is None:
            return None
        product = from_row(row)
        self._terms.seen(product.id, terms_of(product))
        return product

    def search(
        self, tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Product]:
        with translated_errors():
            rows, matches = PRODUCT_LISTS.read(
                self._statements, tenant_id, query, column_filters(query), after, known_matches=known_matches
            )
        return Window([from_row(r) for r in rows], matches)

    def update(self, product: Product, expected_version: int) -> bool:
        values = to_row(product)
        for key in ("ID", "TENANT_ID", "CREATED_AT", "CREATED_BY"):
            del values[key]
        statement = (
            update(PRODUCTS)
            .where(
                PRODUCTS.c.ID == product.id,
                PRODUCTS.c.VERSION == expected_version,
                PRODUCT_LISTS.live(product.tenant_id),
            )
            .values(**values)
        )
        with translated_errors():
            result = self._statements.write(statement)
            if result.rowcount != 1:
                return False
            self._terms.updated(product.tenant_id, product.id, product.created_at, terms_of(product))
        return True

    def taken_skus(self, tenant_id: UUID, skus: Sequence[str]) -> set[str]:
        return self._bulk.taken(PRODUCTS.c.SKU, tenant_id, skus)

    def add_many(self, products: Sequence[Product]) -> None:
        self._bulk.add_many(products)

    def get_many(self, tenant_id: UUID, product_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Product]:
        return self._bulk.get_many(tenant_id, product_ids, lock=lock)

    def update_many(self, changes: Sequence[tuple[Product, int]]) -> None:
        self._bulk.update_many(changes)

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Product]:
        return self._bulk.changes(tenant_id, after, until, limit)
