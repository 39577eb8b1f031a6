"""A request-scoped loader of what an order representation needs besides its own row: its items, its events and
the catalogue's products.

It batches: whatever number of orders a page holds, their items are one ``IN`` query (and their events
another), chunked under Oracle's limit of 1000 expressions in a list; and it remembers what it loaded, so
asking again for an order or a product already seen in the same unit of work costs nothing. A page of 100
orders is therefore three statements (the page, the items, the events), not one per order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Column, Select, select

from storefront.adapters.db.products import from_row as product_from_row
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import ORDER_EVENTS, ORDER_ITEMS, PRODUCTS
from storefront.domain.money import Money
from storefront.domain.orders import EventKind, OrderEvent, OrderItem, OrderStatus, PaymentStatus
from storefront.domain.products import Product

IN_LIST_MAX = 500  # ids per IN list: well under Oracle's 1000 (ORA-01795), and a statement PostgreSQL plans fast

K = TypeVar("K")
V = TypeVar("V")


def chunks(ids: Sequence[K], size: int = IN_LIST_MAX) -> Iterable[Sequence[K]]:
    """``ids`` in slices of at most ``size``."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def items_statement(order_ids: Sequence[UUID]) -> Select[Any]:
    """SELECT the items of these orders, in line order."""
    return (
        select(ORDER_ITEMS)
        .where(ORDER_ITEMS.c.ORDER_ID.in_(order_ids))
        .order_by(ORDER_ITEMS.c.ORDER_ID, ORDER_ITEMS.c.LINE_NUMBER)
    )


def events_statement(order_ids: Sequence[UUID]) -> Select[Any]:
    """SELECT the events of these orders, oldest first."""
    return (
        select(ORDER_EVENTS)
        .where(ORDER_EVENTS.c.ORDER_ID.in_(order_ids))
        .order_by(ORDER_EVENTS.c.ORDER_ID, ORDER_EVENTS.c.SEQUENCE)
    )


def products_statement(tenant_id: UUID, product_ids: Sequence[UUID]) -> Select[Any]:
    """SELECT the tenant's live products among these ids."""
    return select(PRODUCTS).where(
        PRODUCTS.c.TENANT_ID == tenant_id, PRODUCTS.c.DELETED_AT.is_(None), PRODUCTS.c.ID.in_(product_ids)
    )


def item_from_row(row: Any) -> OrderItem:
    """An order item stored in a row."""
    return OrderItem(
        product_id=row.PRODUCT_ID,
        sku=row.SKU,
        name=row.NAME,
        quantity=int(row.QUANTITY),
        unit_price=Money.of(row.UNIT_PRICE, row.CURRENCY),
    )


def event_from_row(row: Any) -> OrderEvent:
    """An order event stored in a row."""
    return OrderEvent(
        order_id=row.ORDER_ID,
        sequence=int(row.SEQUENCE),
        kind=EventKind(row.KIND),
        from_status=OrderStatus(row.FROM_STATUS) if row.FROM_STATUS is not None else None,
        to_status=OrderStatus(row.TO_STATUS),
        occurred_at=row.OCCURRED_AT,
        actor=row.ACTOR,
        payment_status=PaymentStatus(row.PAYMENT_STATUS) if row.PAYMENT_STATUS is not None else None,
        detail=row.DETAIL,
    )


class OrderLoader:
    """Loads items, events and products by id in batched, chunked queries, once per unit of work."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements
        self._items: dict[UUID, list[OrderItem]] = {}
        self._events: dict[UUID, list[OrderEvent]] = {}
        self._products: dict[tuple[UUID, UUID], Product | None] = {}

    def items(self, order_ids: Sequence[UUID]) -> dict[UUID, list[OrderItem]]:
        """The items of each order, in line order."""
        return self._load(order_ids, self._items, items_statement, ORDER_ITEMS.c.ORDER_ID, item_from_row)

    def events(self, order_ids: Sequence[UUID]) -> dict[UUID, list[OrderEvent]]:
        """The events of each order, oldest first."""
        return self._load(order_ids, self._events, events_statement, ORDER_EVENTS.c.ORDER_ID, event_from_row)

    def products(self, tenant_id: UUID, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        """The tenant's live products among ``product_ids``, by id."""
        missing = list(dict.fromkeys(p for p in product_ids if (tenant_id, p) not in self._products))
        for chunk in chunks(missing):
            for product_id in chunk:
                self._products[(tenant_id, product_id)] = None
            for row in self._statements.read(products_statement(tenant_id, chunk)):
                self._products[(tenant_id, row.ID)] = product_from_row(row)
        found = {p: self._products[(tenant_id, p)] for p in product_ids}
        return {p: product for p, product in found.items() if product is not None}

    def forget(self, order_id: UUID) -> None:
        """Drop what is known of an order (it changed in this unit of work)."""
        self._items.pop(order_id, None)
        self._events.pop(order_id, None)

    def _load(
        self,
        order_ids: Sequence[UUID],
        known: dict[UUID, list[V]],
        statement: Callable[[Sequence[UUID]], Select[Any]],
        owner: Column[Any],
        convert: Callable[[Any], V],
    ) -> dict[UUID, list[V]]:
        missing = list(dict.fromkeys(o for o in order_ids if o not in known))
        for chunk in chunks(missing):
            for order_id in chunk:
                known[order_id] = []
            for row in self._statements.read(statement(chunk)):
                known[row._mapping[owner.name]].append(convert(row))
        return {o: known[o] for o in order_ids}
