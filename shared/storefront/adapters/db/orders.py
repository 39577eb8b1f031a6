"""The order repository on SQLAlchemy Core: ORDERS, ORDER_ITEMS, ORDER_EVENTS, and the catalogue's stock.

Every statement is scoped to one tenant. A change is conditional on the status and version it was read at
(``UPDATE ... WHERE STATUS = :from AND VERSION = :v``) and appends its event under UNIQUE (ORDER_ID,
SEQUENCE), so two writers racing on one order cannot both win. Items, events and products are read through
the unit's ``OrderLoader`` (batched, cached per unit of work).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update

from storefront.adapters.db.bulk import bulk_update_row, bulk_update_statement, changes_statement
from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.keyset import capped_count, window
from storefront.adapters.db.order_loader import OrderLoader, chunks
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import ORDER_EVENTS, ORDER_ITEMS, ORDERS, PAYMENT_RECORDS, PRODUCTS, USERS
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.bulk import WRITE_CHUNK
from storefront.application.order_queries import OrderQuery
from storefront.application.ports import StockLine
from storefront.application.queries import Keyset, Window
from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict
from storefront.domain.identity import UserStatus
from storefront.domain.money import Money
from storefront.domain.orders import Order, OrderEvent, OrderStatus, PaymentStatus
from storefront.domain.payments import PaymentKind, PaymentRecord
from storefront.domain.products import Product

ORDER_SORT_COLUMNS = {
    "created_at": ORDERS.c.CREATED_AT,
    "updated_at": ORDERS.c.UPDATED_AT,
    "total": ORDERS.c.TOTAL_AMOUNT,
}


def live(tenant_id: UUID) -> ColumnElement[bool]:
    """The tenant's orders that are not soft-deleted."""
    return (ORDERS.c.TENANT_ID == tenant_id) & ORDERS.c.DELETED_AT.is_(None)


def list_where(tenant_id: UUID, user_id: UUID, query: OrderQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of a user's list: tenant, owner, liveness, status and the creation range."""
    return [live(tenant_id), ORDERS.c.USER_ID == user_id, *_common_filters(query)]


def tenant_where(tenant_id: UUID, query: AdminOrderQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of the admin's list: tenant, liveness, owner when named, status, creation and total ranges."""
    terms = [live(tenant_id), *_common_filters(query)]
    if query.user_id is not None:
        terms.append(ORDERS.c.USER_ID == query.user_id)
    if query.min_total is not None:
        terms.append(ORDERS.c.TOTAL_AMOUNT >= query.min_total)
    if query.max_total is not None:
        terms.append(ORDERS.c.TOTAL_AMOUNT <= query.max_total)
    return terms


def _common_filters(query: OrderQuery) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    if query.status is not None:
        terms.append(ORDERS.c.STATUS == query.status.value)
    if query.created_from is not None:
        terms.append(ORDERS.c.CREATED_AT >= query.created_from)
    if query.created_to is not None:
        terms.append(ORDERS.c.CREATED_AT <= query.created_to)
    return terms


def count_statement(tenant_id: UUID, user_id: UUID, query: OrderQuery) -> Select[Any]:
    """SELECT how many of the user's orders match, up to TOTAL_CAP + 1."""
    return count_where(list_where(tenant_id, user_id, query))


def page_statement(
    tenant_id: UUID, user_id: UUID, query: OrderQuery, after: Keyset | None = None, *, counted: bool = True
) -> Select[Any]:
    """SELECT one page of the user's orders plus one and, when ``counted``, the capped count as MATCHES."""
    return page_where(list_where(tenant_id, user_id, query), query, after, counted=counted)


def count_where(where: list[ColumnElement[bool]]) -> Select[Any]:
    """SELECT how many orders meet ``where``, up to TOTAL_CAP + 1."""
    return capped_count(select(ORDERS.c.ID).where(*where))


def page_where(
    where: list[ColumnElement[bool]], query: OrderQuery, after: Keyset | None = None, *, counted: bool = True
) -> Select[Any]:
    """SELECT one page of the orders meeting ``where`` plus one and, when ``counted``, the capped count as
    MATCHES."""
    extra = [count_where(where).scalar_subquery().label("MATCHES")] if counted else []
    key = ORDER_SORT_COLUMNS[query.sort]
    return window([*ORDERS.c, *extra], where, key, ORDERS.c.ID, query.order, query.limit, query.offset, after)


def account_status_statement(tenant_id: UUID, user_id: UUID) -> Select[Any]:
    """SELECT the status of the tenant's live user ``user_id`` (no row: no such account)."""
    return select(USERS.c.STATUS).where(
        USERS.c.ID == user_id, USERS.c.TENANT_ID == tenant_id, USERS.c.DELETED_AT.is_(None)
    )


def release_statement() -> Any:
    """UPDATE one product's stock up by a quantity (executed once per line): never read-modify-write. The version
    moves too, so an admin's edit read before the change is refused as stale instead of overwriting the stock, and
    UPDATED_AT, so a service sync (which reads by UPDATED_AT) sees the new stock."""
    return (
        update(PRODUCTS)
        .where(PRODUCTS.c.ID == bindparam("line_product_id"), PRODUCTS.c.TENANT_ID == bindparam("line_tenant_id"))
        .values(
            STOCK=PRODUCTS.c.STOCK + bindparam("line_quantity"),
            VERSION=PRODUCTS.c.VERSION + 1,
            UPDATED_AT=bindparam("line_updated_at", type_=PRODUCTS.c.UPDATED_AT.type),
        )
    )


def reserve_statement(tenant_id: UUID, line: StockLine, at: datetime) -> Any:
    """UPDATE one live product's stock down by the line's quantity only when that much is left (its rowcount says
    whether it took it): the database decides, never a read-modify-write, so no two buyers can both take the last
    unit. The version moves as in ``release_statement``."""
    return (
        update(PRODUCTS)
        .where(
            PRODUCTS.c.ID == line.product_id,
            PRODUCTS.c.TENANT_ID == tenant_id,
            PRODUCTS.c.DELETED_AT.is_(None),
            PRODUCTS.c.STOCK >= line.quantity,
        )
        .values(STOCK=PRODUCTS.c.STOCK - line.quantity, VERSION=PRODUCTS.c.VERSION + 1, UPDATED_AT=at)
    )


def payment_record_statement(tenant_id: UUID, order_id: UUID, kind: PaymentKind) -> Select[Any]:
    """SELECT the order's record of one kind (charge or refund)."""
    return select(PAYMENT_RECORDS).where(
        PAYMENT_RECORDS.c.ORDER_ID == order_id,
        PAYMENT_RECORDS.c.TENANT_ID == tenant_id,
        PAYMENT_RECORDS.c.KIND == kind.value,
    )


def to_row(order: Order) -> dict[str, Any]:
    """The ORDERS column values of an order."""
    address = order.shipping_address
    return {
        "ID": order.id,
        "TENANT_ID": order.tenant_id,
        "CREATED_AT": order.created_at,
        "UPDATED_AT": order.updated_at,
        "CREATED_BY": order.created_by,
        "UPDATED_BY": order.updated_by,
        "DELETED_AT": order.deleted_at,
        "VERSION": order.version,
        "USER_ID": order.user_id,
        "STATUS": order.status.value,
        "PAYMENT_STATUS": order.payment_status.value,
        "TOTAL_AMOUNT": order.total.amount,
        "CURRENCY": order.currency,
        "SHIPPING_LINE1": address.line1,
        "SHIPPING_LINE2": address.line2 or None,
        "SHIPPING_CITY": address.city,
        "SHIPPING_POSTAL_CODE": address.postal_code,
        "SHIPPING_COUNTRY": address.country,
        "NOTES": order.notes or None,
        "PAYMENT_TOKEN": order.payment_token,
        "EVENT_SEQUENCE": order.sequence,
    }


def item_rows(order: Order) -> list[dict[str, Any]]:
    """The ORDER_ITEMS rows of an order."""
    return [
        {
            "ORDER_ID": order.id,
            "LINE_NUMBER": n,
            "TENANT_ID": order.tenant_id,
            "PRODUCT_ID": item.product_id,
            "SKU": item.sku,
            "NAME": item.name,
            "QUANTITY": item.quantity,
            "UNIT_PRICE": item.unit_price.amount,
            "LINE_TOTAL": item.line_total.amount,
            "CURRENCY": item.unit_price.currency,
        }
        for n, item in enumerate(order.items, start=1)
    ]


def event_row(tenant_id: UUID, event: OrderEvent) -> dict[str, Any]:
    """The ORDER_EVENTS row of an event."""
    return {
        "ID": uuid4(),
        "ORDER_ID": event.order_id,
        "SEQUENCE": event.sequence,
        "TENANT_ID": tenant_id,
        "KIND": event.kind.value,
        "FROM_STATUS": event.from_status.value if event.from_status is not None else None,
        "TO_STATUS": event.to_status.value,
        "PAYMENT_STATUS": event.payment_status.value if event.payment_status is not None else None,
        "OCCURRED_AT": event.occurred_at,
        "ACTOR": event.actor,
        "DETAIL": event.detail,
    }


def from_row(row: Any, items: Sequence[Any], events: Sequence[OrderEvent]) -> Order:
    """The order stored in a row, with its items and events."""
    return Order(
        id=row.ID,
        tenant_id=row.TENANT_ID,
        user_id=row.USER_ID,
        items=tuple(items),
        shipping_address=Address(
            line1=row.SHIPPING_LINE1,
            line2=row.SHIPPING_LINE2,
            city=row.SHIPPING_CITY,
            postal_code=row.SHIPPING_POSTAL_CODE,
            country=row.SHIPPING_COUNTRY,
        ),
        payment_token=row.PAYMENT_TOKEN,
        status=OrderStatus(row.STATUS),
        payment_status=PaymentStatus(row.PAYMENT_STATUS),
        version=int(row.VERSION),
        created_at=row.CREATED_AT,
        updated_at=row.UPDATED_AT,
        created_by=row.CREATED_BY,
        updated_by=row.UPDATED_BY,
        notes=row.NOTES,
        sequence=int(row.EVENT_SEQUENCE),
        deleted_at=row.DELETED_AT,
        history=tuple(events),
    )


class SqlOrderRepository:
    """A tenant's orders; reads their items, events and products through one ``OrderLoader``."""

    def __init__(self, statements: Statements, loader: OrderLoader) -> None:
        self._statements = statements
        self._loader = loader

    def add(self, order: Order, event: OrderEvent) -> None:
        with translated_errors():
            self._statements.write(insert(ORDERS).values(**to_row(order)))
            self._statements.write(insert(ORDER_ITEMS), item_rows(order))
            self._statements.write(insert(ORDER_EVENTS).values(**event_row(order.tenant_id, event)))

    def get(self, tenant_id: UUID, order_id: UUID) -> Order | None:
        with translated_errors():
            row = self._statements.read(select(ORDERS).where(ORDERS.c.ID == order_id, live(tenant_id))).first()
            if row is None:
                return None
            return self._hydrate([row])[0]

    def update(self, order: Order, expected: Order, event: OrderEvent | None) -> bool:
        values = to_row(order)
        for key in ("ID", "TENANT_ID", "CREATED_AT", "CREATED_BY", "USER_ID", "PAYMENT_TOKEN"):
            del values[key]
        statement = (
            update(ORDERS)
            .where(
                ORDERS.c.ID == order.id,
                live(order.tenant_id),
                ORDERS.c.STATUS == expected.status.value,
                ORDERS.c.VERSION == expected.version,
            )
            .values(**values)
        )
        with translated_errors():
            if self._statements.write(statement).rowcount != 1:
                return False
            if event is not None:
                self._statements.write(insert(ORDER_EVENTS).values(**event_row(order.tenant_id, event)))
        self._loader.forget(order.id)
        return True

    def search(
        self,
        tenant_id: UUID,
        user_id: UUID,
        query: OrderQuery,
        after: Keyset | None = None,
        *,
        known_matches: int | None = None,
    ) -> Window[Order]:
        return self._window(list_where(tenant_id, user_id, query), query, after, known_matches)

    def search_tenant(
        self, tenant_id: UUID, query: AdminOrderQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Order]:
        return self._window(tenant_where(tenant_id, query), query, after, known_matches)

    def _window(
        self, where: list[ColumnElement[bool]], query: OrderQuery, after: Keyset | None, known_matches: int | None
    ) -> Window[Order]:
        with translated_errors():
            if known_matches is not None:
                rows = self._statements.read(page_where(where, query, after, counted=False)).all()
                matches = known_matches
            else:
                rows = self._statements.read(page_where(where, query, after)).all()
                if rows:
                    matches = int(rows[0].MATCHES)
                elif after is not None or query.offset:  # an empty page past the start says nothing of the count
                    matches = int(self._statements.read(count_where(where)).scalar_one())
                else:
                    matches = 0
            return Window(self._hydrate(rows), matches)

    def account_status(self, tenant_id: UUID, user_id: UUID) -> UserStatus | None:
        with translated_errors():
            status = self._statements.read(account_status_statement(tenant_id, user_id)).scalar_one_or_none()
        return UserStatus(status) if status is not None else None

    def catalogue(self, tenant_id: UUID, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        with translated_errors():
            return self._loader.products(tenant_id, product_ids)

    def release_stock(self, tenant_id: UUID, lines: Sequence[StockLine], at: datetime) -> None:
        rows = [
            {
                "line_product_id": line.product_id,
                "line_tenant_id": tenant_id,
                "line_quantity": line.quantity,
                "line_updated_at": at,
            }
            for line in lines
        ]
        if rows:
            with translated_errors():
                self._statements.write(release_statement(), rows)

    def reserve_stock(self, tenant_id: UUID, lines: Sequence[StockLine], at: datetime) -> bool:
        # One product at a time in id order: two orders sharing products lock them in the same order (no deadlock).
        for line in sorted(lines, key=lambda each: str(each.product_id)):
            with translated_errors():
                if self._statements.write(reserve_statement(tenant_id, line, at)).rowcount != 1:
                    return False
        return True

    def payment_record(self, tenant_id: UUID, order_id: UUID, kind: PaymentKind) -> PaymentRecord | None:
        with translated_errors():
            row = self._statements.read(payment_record_statement(tenant_id, order_id, kind)).first()
        if row is None:
            return None
        return PaymentRecord(
            tenant_id=row.TENANT_ID,
            order_id=row.ORDER_ID,
            kind=PaymentKind(row.KIND),
            outcome=row.OUTCOME,
            provider_ref=row.PROVIDER_REF,
            amount=Money(row.AMOUNT, row.CURRENCY),
            recorded_at=row.RECORDED_AT,
            reason=row.REASON,
        )

    def record_payment(self, record: PaymentRecord) -> None:
        values = {
            "ID": uuid4(),
            "TENANT_ID": record.tenant_id,
            "ORDER_ID": record.order_id,
            "KIND": record.kind.value,
            "OUTCOME": record.outcome,
            "PROVIDER_REF": record.provider_ref,
            "AMOUNT": record.amount.amount,
            "CURRENCY": record.amount.currency,
            "REASON": record.reason,
            "RECORDED_AT": record.recorded_at,
        }
        with translated_errors():
            self._statements.write(insert(PAYMENT_RECORDS).values(**values))

    def add_many(self, placed: Sequence[tuple[Order, OrderEvent]]) -> None:
        orders = [to_row(order) for order, _ in placed]
        items = [row for order, _ in placed for row in item_rows(order)]
        events = [event_row(order.tenant_id, event) for order, event in placed]
        with translated_errors():
            for table, rows in ((ORDERS, orders), (ORDER_ITEMS, items), (ORDER_EVENTS, events)):
                self._statements.insert_many(table, rows)

    def get_many(self, tenant_id: UUID, order_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Order]:
        rows: list[Any] = []
        run = self._statements.write if lock else self._statements.read
        with translated_errors():
            for chunk in chunks(sorted(set(order_ids), key=str)):  # id order: no deadlock between two of these
                statement = select(ORDERS).where(ORDERS.c.ID.in_(list(chunk)), live(tenant_id))
                rows += run(statement.with_for_update() if lock else statement).all()
            return {order.id: order for order in self._hydrate(rows)}

    def update_many(self, changes: Sequence[tuple[Order, int, OrderEvent]]) -> None:
        statement = bulk_update_statement(ORDERS)
        with translated_errors():
            written = 0
            for part in chunks(changes, WRITE_CHUNK):
                written += self._statements.write(
                    statement, [bulk_update_row(to_row(o), v) for o, v, _ in part]
                ).rowcount
            if written != len(changes):
                raise Conflict("Version conflict")
            events = [event_row(order.tenant_id, event) for order, _, event in changes]
            self._statements.insert_many(ORDER_EVENTS, events)
        for order, _, _ in changes:
            self._loader.forget(order.id)

    def live_users(self, tenant_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
        found: set[UUID] = set()
        with translated_errors():
            for chunk in chunks(sorted(set(user_ids), key=str)):
                statement = select(USERS.c.ID).where(
                    USERS.c.TENANT_ID == tenant_id,
                    USERS.c.DELETED_AT.is_(None),
                    USERS.c.STATUS == UserStatus.ACTIVE.value,  # a banned account orders nothing, as on POST orders
                    USERS.c.ID.in_(list(chunk)),
                )
                found.update(self._statements.read(statement).scalars())
        return found

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Order]:
        with translated_errors():
            rows = self._statements.read(changes_statement(ORDERS, tenant_id, after, until, limit)).all()
            return self._hydrate(rows)

    def _hydrate(self, rows: Sequence[Any]) -> list[Order]:
        ids = [row.ID for row in rows]
        items = self._loader.items(ids)
        events = self._loader.events(ids)
        return [from_row(row, items[row.ID], events[row.ID]) for row in rows]
