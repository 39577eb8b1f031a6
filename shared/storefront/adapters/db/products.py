"""The product repository on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.keyset import After, ordering
from storefront.adapters.db.lists import EntityList, SearchTermsKeeper
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import PRODUCT_SEARCH_TERMS, PRODUCTS
from storefront.application.bulk import IN_LIST_MAX, WRITE_CHUNK, chunks
from storefront.application.queries import Keyset, ProductQuery, Window
from storefront.domain.errors import Conflict
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


def taken_skus_statement(tenant_id: UUID, skus: Sequence[str]) -> Select[Any]:
    """SELECT which of ``skus`` (at most IN_LIST_MAX) the tenant's products have, deleted ones too."""
    return select(PRODUCTS.c.SKU).where(PRODUCTS.c.TENANT_ID == tenant_id, PRODUCTS.c.SKU.in_(list(skus)))


def many_statement(tenant_id: UUID, product_ids: Sequence[UUID], *, lock: bool = False) -> Select[Any]:
    """SELECT the tenant's live products among ``product_ids`` (at most IN_LIST_MAX), FOR UPDATE with ``lock``."""
    statement = select(PRODUCTS).where(PRODUCTS.c.ID.in_(list(product_ids)), PRODUCT_LISTS.live(tenant_id))
    return statement.with_for_update() if lock else statement


# The columns a bulk update writes, each from its bind parameter (executed once per row: executemany).
_UPDATED = (
    "UPDATED_AT",
    "UPDATED_BY",
    "DELETED_AT",
    "VERSION",
    "SKU",
    "NAME",
    "DESCRIPTION",
    "PRICE_AMOUNT",
    "PRICE_CURRENCY",
    "STOCK",
    "STATUS",
    "CATEGORY",
)


def bulk_update_statement() -> Any:
    """UPDATE one live product at its expected version (executed once per row with ``bulk_update_row``)."""
    return (
        update(PRODUCTS)
        .where(
            PRODUCTS.c.ID == bindparam("b_id"),
            PRODUCTS.c.TENANT_ID == bindparam("b_tenant_id"),
            PRODUCTS.c.VERSION == bindparam("b_expected_version"),
            PRODUCTS.c.DELETED_AT.is_(None),
        )
        .values(**{name: bindparam(f"b_{name.lower()}") for name in _UPDATED})
    )


def bulk_update_row(product: Product, expected_version: int) -> dict[str, Any]:
    """The bind parameters of ``bulk_update_statement`` for one product."""
    row = to_row(product)
    values = {f"b_{name.lower()}": row[name] for name in _UPDATED}
    return {**values, "b_id": product.id, "b_tenant_id": product.tenant_id, "b_expected_version": expected_version}


def changes_statement(tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> Select[Any]:
    """SELECT up to ``limit`` of the tenant's products, deleted ones too, stamped at or before ``until``, in
    (UPDATED_AT, ID) order after ``after``: one range of IX_PRODUCTS_SYNC."""
    key, tiebreak = PRODUCTS.c.UPDATED_AT, PRODUCTS.c.ID
    statement = select(PRODUCTS).where(PRODUCTS.c.TENANT_ID == tenant_id, key <= until)
    if after is not None:
        statement = statement.where(After(key, tiebreak, after, "asc"))
    return statement.order_by(*ordering(key, tiebreak, "asc")).limit(limit)


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
        taken: set[str] = set()
        with translated_errors():
            for chunk in chunks(sorted(set(skus)), IN_LIST_MAX):
                taken.update(self._statements.read(taken_skus_statement(tenant_id, chunk)).scalars())
        return taken

    def add_many(self, products: Sequence[Product]) -> None:
        with translated_errors():
            for chunk in chunks(products, WRITE_CHUNK):
                self._statements.write(insert(PRODUCTS), [to_row(p) for p in chunk])
            self._terms.added_many([(p.tenant_id, p.id, p.created_at, terms_of(p)) for p in products])

    def get_many(self, tenant_id: UUID, product_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Product]:
        found: dict[UUID, Product] = {}
        run = self._statements.write if lock else self._statements.read
        with translated_errors():
            # In id order, so two bulk updates sharing products lock them in the same order (no deadlock).
            for chunk in chunks(sorted(set(product_ids), key=str), IN_LIST_MAX):
                for row in run(many_statement(tenant_id, chunk, lock=lock)):
                    product = from_row(row)
                    self._terms.seen(product.id, terms_of(product))
                    found[product.id] = product
        return found

    def update_many(self, changes: Sequence[tuple[Product, int]]) -> None:
        with translated_errors():
            updated = 0
            for chunk in chunks(changes, WRITE_CHUNK):
                result = self._statements.write(bulk_update_statement(), [bulk_update_row(p, v) for p, v in chunk])
                updated += result.rowcount
            if updated != len(changes):
                raise Conflict("Version conflict")
            self._terms.updated_many([(p.tenant_id, p.id, p.created_at, terms_of(p)) for p, _ in changes])

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Product]:
        with translated_errors():
            rows = self._statements.read(changes_statement(tenant_id, after, until, limit)).all()
        return [from_row(r) for r in rows]
