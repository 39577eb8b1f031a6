"""The product repository on SQLAlchemy Core."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, CursorResult, Executable, Select, and_, func, insert, select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.tables import PRODUCTS
from storefront.application.queries import ProductQuery
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductDetails, ProductStatus

SORT_COLUMNS = {
    "created_at": PRODUCTS.c.CREATED_AT,
    "updated_at": PRODUCTS.c.UPDATED_AT,
    "name": PRODUCTS.c.NAME,
    "sku": PRODUCTS.c.SKU,
    "price": PRODUCTS.c.PRICE_AMOUNT,
    "stock": PRODUCTS.c.STOCK,
}


def _live(tenant_id: UUID) -> ColumnElement[bool]:
    return and_(PRODUCTS.c.TENANT_ID == tenant_id, PRODUCTS.c.DELETED_AT.is_(None))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filters(tenant_id: UUID, query: ProductQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of a product query (tenant and liveness always among them)."""
    terms = [_live(tenant_id)]
    if query.status is not None:
        terms.append(PRODUCTS.c.STATUS == query.status.value)
    if query.category is not None:
        terms.append(PRODUCTS.c.CATEGORY == query.category)
    if query.min_price is not None:
        terms.append(PRODUCTS.c.PRICE_AMOUNT >= query.min_price)
    if query.max_price is not None:
        terms.append(PRODUCTS.c.PRICE_AMOUNT <= query.max_price)
    if query.text:
        pattern = f"%{_escape_like(query.text.lower())}%"
        terms.append(func.lower(PRODUCTS.c.NAME).like(pattern, escape="\\"))
    return terms


def page_statement(tenant_id: UUID, query: ProductQuery) -> Select[Any]:
    """SELECT one page of products, in a stable order (the id breaks ties)."""
    column = SORT_COLUMNS[query.sort]
    ordering = column.asc() if query.order == "asc" else column.desc()
    return (
        select(PRODUCTS)
        .where(*filters(tenant_id, query))
        .order_by(ordering, PRODUCTS.c.ID.asc())
        .limit(query.limit)
        .offset(query.offset)
    )


def count_statement(tenant_id: UUID, query: ProductQuery) -> Select[Any]:
    """SELECT how many products match the query."""
    return select(func.count()).select_from(PRODUCTS).where(*filters(tenant_id, query))


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


class Statements(Protocol):
    """Runs statements for a repository: reads outside a transaction, writes inside the unit's transaction."""

    def read(self, statement: Executable) -> CursorResult[Any]: ...

    def write(self, statement: Executable) -> CursorResult[Any]: ...


class SqlProductRepository:
    """Products in the PRODUCTS table; every statement is scoped to one tenant."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def add(self, product: Product) -> None:
        with translated_errors():
            self._statements.write(insert(PRODUCTS).values(**to_row(product)))

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        statement = select(PRODUCTS).where(PRODUCTS.c.ID == product_id, _live(tenant_id))
        with translated_errors():
            row = self._statements.read(statement).first()
        return from_row(row) if row is not None else None

    def search(self, tenant_id: UUID, query: ProductQuery) -> tuple[list[Product], int]:
        with translated_errors():
            rows = self._statements.read(page_statement(tenant_id, query)).all()
            total = self._statements.read(count_statement(tenant_id, query)).scalar_one()
        return [from_row(r) for r in rows], int(total)

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
        return result.rowcount == 1
