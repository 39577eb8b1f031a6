"""The product repository on SQLAlchemy Core."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    insert,
    select,
    update,
)

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.keyset import capped_count, window
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import PRODUCT_SEARCH_TERMS, PRODUCTS
from storefront.application.queries import Keyset, ProductQuery, Window
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductDetails, ProductStatus
from storefront.domain.search import search_words

WALKED_SORT = "created_at"  # the list order a search page is read in from PRODUCT_SEARCH_TERMS' own index
SORT_COLUMNS = {
    "created_at": PRODUCTS.c.CREATED_AT,
    "updated_at": PRODUCTS.c.UPDATED_AT,
    "name": PRODUCTS.c.NAME,
    "sku": PRODUCTS.c.SKU,
    "price": PRODUCTS.c.PRICE_AMOUNT,
    "stock": PRODUCTS.c.STOCK,
}
TERMS = PRODUCT_SEARCH_TERMS


def _live(tenant_id: UUID) -> ColumnElement[bool]:
    return and_(PRODUCTS.c.TENANT_ID == tenant_id, PRODUCTS.c.DELETED_AT.is_(None))


def products_with_words(tenant_id: UUID, words: tuple[str, ...]) -> Select[Any]:
    """SELECT the ids of the tenant's live products whose name has every one of ``words``, each once.

    Terms alone answer it: a deleted product has none, and (TENANT_ID, TERM, PRODUCT_ID) is the primary
    key, so one word is one index range without repeats, ordered by PRODUCT_ID. Each further word joins
    its own range on PRODUCT_ID (a merge of two ordered ranges, or a primary-key probe per id).
    """
    first, *others = words
    found = select(TERMS.c.PRODUCT_ID).where(TERMS.c.TENANT_ID == tenant_id, TERMS.c.TERM == first)
    for n, word in enumerate(others):
        other = TERMS.alias(f"TERMS_{n}")
        found = found.join(
            other,
            and_(other.c.PRODUCT_ID == TERMS.c.PRODUCT_ID, other.c.TENANT_ID == tenant_id, other.c.TERM == word),
        )
    return found


def filters(tenant_id: UUID, query: ProductQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of a product query (tenant and liveness always among them)."""
    terms = [_live(tenant_id), *_column_filters(query)]
    if query.words:
        terms.append(PRODUCTS.c.ID.in_(products_with_words(tenant_id, query.words)))
    return terms


def _column_filters(query: ProductQuery) -> list[ColumnElement[bool]]:
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


def _search_only(query: ProductQuery) -> bool:
    """Whether ``q`` is the query's only filter."""
    return all(value is None for name, value in query.filters().items() if name != "q")


def count_statement(tenant_id: UUID, query: ProductQuery) -> Select[Any]:
    """SELECT how many products match the query, up to TOTAL_CAP + 1.

    A search with no other filter is counted from the search terms alone (they are the live products'),
    so the count reads at most TOTAL_CAP + 1 entries of one index range and never PRODUCTS.
    """
    if query.words and _search_only(query):
        return capped_count(products_with_words(tenant_id, query.words))
    return capped_count(select(PRODUCTS.c.ID).where(*filters(tenant_id, query)))


def page_statement(
    tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, counted: bool = True
) -> Select[Any]:
    """SELECT one page of products plus one and, when ``counted``, the capped count as MATCHES in the same
    round trip (a caller that already knows the count leaves it out)."""
    columns: list[Any] = list(PRODUCTS.c)
    if counted:
        columns.append(count_statement(tenant_id, query).scalar_subquery().label("MATCHES"))
    if query.words and query.sort == WALKED_SORT:
        return _walk_of_words(tenant_id, query, after, columns)
    where = filters(tenant_id, query)
    key = SORT_COLUMNS[query.sort]
    return window(columns, where, key, PRODUCTS.c.ID, query.order, query.limit, query.offset, after)


def _walk_of_words(tenant_id: UUID, query: ProductQuery, after: Keyset | None, columns: list[Any]) -> Select[Any]:
    """A search's page in CREATED_AT order, read from one word's terms in that order.

    The longest word leads (longer words tend to be rarer): its entries are read newest first from
    (TENANT_ID, TERM, PRODUCT_CREATED_AT, PRODUCT_ID), each other word is one primary-key probe, and the
    product row is fetched by id for the other filters and the page's columns. The walk stops after a
    page of matches, so its cost follows how often the words meet, not how many products there are
    (``search`` counts several words first, so words that never meet are not walked at all).
    """
    lead = max(query.words, key=len)
    walked = TERMS.alias("LEAD_TERMS")
    where: list[ColumnElement[bool]] = [walked.c.TENANT_ID == tenant_id, walked.c.TERM == lead]
    for n, word in enumerate(w for w in query.words if w != lead):
        other = TERMS.alias(f"OTHER_TERMS_{n}")
        where.append(
            exists().where(
                other.c.TENANT_ID == tenant_id, other.c.TERM == word, other.c.PRODUCT_ID == walked.c.PRODUCT_ID
            )
        )
    where += [_live(tenant_id), *_column_filters(query)]
    key, tiebreak = walked.c.PRODUCT_CREATED_AT, walked.c.PRODUCT_ID
    statement = window(columns, where, key, tiebreak, query.order, query.limit, query.offset, after)
    return statement.select_from(walked.join(PRODUCTS, PRODUCTS.c.ID == walked.c.PRODUCT_ID))


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
        self._known_terms: dict[UUID, tuple[str, ...]] = {}

    def add(self, product: Product) -> None:
        with translated_errors():
            self._statements.write(insert(PRODUCTS).values(**to_row(product)))
            self._write_terms(product, replace=False)

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        statement = select(PRODUCTS).where(PRODUCTS.c.ID == product_id, _live(tenant_id))
        with translated_errors():
            row = self._statements.read(statement).first()
        if row is None:
            return None
        product = from_row(row)
        self._known_terms[product.id] = terms_of(product)
        return product

    def search(
        self, tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Product]:
        with translated_errors():
            if known_matches is None and len(query.words) > 1:
                # Words that each match many products may never meet; counting them first (two ordered
                # index ranges merged) is cheaper than a walk that finds nothing, and spares that walk.
                known_matches = int(self._statements.read(count_statement(tenant_id, query)).scalar_one())
                if known_matches == 0:
                    return Window([], 0)
            if known_matches is not None:
                rows = self._statements.read(page_statement(tenant_id, query, after, counted=False)).all()
                return Window([from_row(r) for r in rows], known_matches)
            rows = self._statements.read(page_statement(tenant_id, query, after)).all()
            if rows:
                matches = int(rows[0].MATCHES)
            elif after is not None or query.offset:
                matches = int(self._statements.read(count_statement(tenant_id, query)).scalar_one())
            else:
                matches = 0
        return Window([from_row(r) for r in rows], matches)

    def update(self, product: Product, expected_version: int) -> bool:
        values = to_row(product)
        for key in ("ID", "TENANT_ID", "CREATED_AT", "CREATED_BY"):
            del values[key]
        statement = (
            update(PRODUCTS)
            .where(PRODUCTS.c.ID == product.id, PRODUCTS.c.VERSION == expected_version, _live(product.tenant_id))
            .values(**values)
        )
        with translated_errors():
            result = self._statements.write(statement)
            if result.rowcount != 1:
                return False
            if self._known_terms.get(product.id) != terms_of(product):
                self._write_terms(product, replace=True)
        return True

    def _write_terms(self, product: Product, *, replace: bool) -> None:
        terms = terms_of(product)
        if replace:
            self._statements.write(
                delete(TERMS).where(TERMS.c.TENANT_ID == product.tenant_id, TERMS.c.PRODUCT_ID == product.id)
            )
        if terms:
            rows = [
                {
                    "TENANT_ID": product.tenant_id,
                    "TERM": t,
                    "PRODUCT_ID": product.id,
                    "PRODUCT_CREATED_AT": product.created_at,
                }
                for t in terms
            ]
            self._statements.write(insert(TERMS), rows)
        self._known_terms[product.id] = terms
