"""The admin's orders on real databases (SQLite, PostgreSQL; Oracle with ORACLE_DSN): the tenant-wide list with
every filter, a page of 100 orders of many users in a constant number of statements, fulfilment updates stored
with their events and notification messages, soft deletion."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, select

from storefront.adapters.db.tables import ORDER_EVENTS, OUTBOX_MESSAGES
from storefront.application import admin_orders, orders
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.order_queries import OrderQuery
from storefront.domain.errors import Conflict, NotFound
from storefront.domain.identity import Principal, Role
from storefront.domain.orders import EventKind, OrderStatus, PaymentStatus
from tests.fakes import FakePublisher, FixedClock
from tests.integration.test_order_repository import buyer, place, ports, product, saga_step, store_orders

S = OrderStatus


def admin_of(tenant: UUID) -> Principal:
    return Principal(user_id="admin-1", username="ada", role=Role.ADMIN, tenant_id=tenant)


def customers(tenant: UUID, count: int) -> list[Principal]:
    return [Principal(user_id=str(uuid4()), username=f"u{n}", role=Role.USER, tenant_id=tenant) for n in range(count)]


def test_the_list_spans_the_tenants_users_with_every_filter(engine):
    admin = admin_of(uuid4())
    people = customers(admin.tenant_id, 2)
    tea = product(engine, admin.tenant_id, stock=1000, price="8.90")
    clock = FixedClock()
    made = []
    for n in range(4):  # totals 8.90, 17.80, 26.70, 35.60; users 0, 1, 0, 1
        made.append(place(engine, people[n % 2], (tea, n + 1), p=ports(engine, clock=clock)))
        clock.advance(60)
    stranger = buyer()
    place(engine, stranger, (product(engine, stranger.tenant_id), 1))
    orders.cancel_order(ports(engine), people[1], made[1].id, None)
    p = ports(engine)

    def listed(**fields: Any) -> list[UUID]:
        return [o.id for o in admin_orders.list_orders(p, admin, AdminOrderQuery(order="asc", **fields)).items]

    ids = [o.id for o in made]
    assert listed() == ids
    assert listed(user_id=made[0].user_id) == [ids[0], ids[2]]
    assert listed(status=S.CANCELLED) == [ids[1]]
    assert listed(min_total=Decimal("17.80"), max_total=Decimal("26.70")) == [ids[1], ids[2]]
    assert listed(created_from=made[1].created_at, created_to=made[2].created_at) == [ids[1], ids[2]]
    assert listed(user_id=made[1].user_id, status=S.PENDING) == [ids[3]]
    assert listed(sort="total", min_total=Decimal("20")) == [ids[2], ids[3]]
    first = admin_orders.list_orders(p, admin, AdminOrderQuery(limit=3))
    assert ([o.id for o in first.items], first.total, first.has_next) == ([ids[3], ids[2], ids[1]], 4, True)
    rest = admin_orders.list_orders(p, admin, AdminOrderQuery(limit=3, cursor=first.next_cursor))
    assert ([o.id for o in rest.items], rest.next_cursor) == ([ids[0]], None)
    assert admin_orders.list_orders(p, admin, AdminOrderQuery(offset=10)).total == 4


def test_a_page_of_100_orders_of_many_users_costs_three_statements(engine):
    admin = admin_of(uuid4())
    store_orders(engine, admin.tenant_id, [uuid4() for _ in range(10)], 100)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = admin_orders.list_orders(ports(engine), admin, AdminOrderQuery(limit=100))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(page.items) == 100
    assert len({o.user_id for o in page.items}) == 10
    assert all(len(o.items) == 2 and len(o.history) == 1 for o in page.items)
    assert len(statements) == 3, statements  # the page (with its capped count), the items, the events


def test_fulfilment_is_stored_with_its_events_and_notices_then_deletion(engine):
    who = buyer()
    admin = admin_of(who.tenant_id)
    placed = place(engine, who, (product(engine, who.tenant_id), 1))
    saga_step(engine, placed, S.RESERVED)
    saga_step(engine, placed, S.CONFIRMED, PaymentStatus.CAPTURED)
    publisher = FakePublisher()
    p = ports(engine, publisher)
    with pytest.raises(Conflict):
        admin_orders.update_order(p, admin, placed.id, S.DELIVERED, None, None)
    admin_orders.update_order(p, admin, placed.id, S.SHIPPED, "Tracking 1Z", 3)
    with pytest.raises(Conflict):
        admin_orders.update_order(p, admin, placed.id, S.DELIVERED, "Tracking 1Z", 3)
    admin_orders.update_order(p, admin, placed.id, S.DELIVERED, "Tracking 1Z", 4)
    stored = orders.get_order(ports(engine), admin, placed.id)
    assert (stored.status, stored.notes, stored.version, stored.updated_by) == (
        S.DELIVERED,
        "Tracking 1Z",
        5,
        "admin-1",
    )
    assert [e.kind for e in stored.history] == [
        EventKind.PLACED,
        EventKind.RESERVED,
        EventKind.CONFIRMED,
        EventKind.SHIPPED,
        EventKind.DELIVERED,
    ]
    assert [m.type for _, m in publisher.sent if m.type.startswith("order.")][-2:] == [
        "order.shipped",
        "order.delivered",
    ]
    with engine.connect() as connection:
        kinds = connection.execute(select(ORDER_EVENTS.c.KIND).where(ORDER_EVENTS.c.ORDER_ID == placed.id)).scalars()
        assert sorted(kinds) == sorted(["placed", "reserved", "confirmed", "shipped", "delivered"])
        published = connection.execute(
            select(OUTBOX_MESSAGES.c.MESSAGE_TYPE, OUTBOX_MESSAGES.c.PUBLISHED_AT).where(
                OUTBOX_MESSAGES.c.TENANT_ID == who.tenant_id, OUTBOX_MESSAGES.c.QUEUE == "notification"
            )
        ).all()
        assert sorted(row.MESSAGE_TYPE for row in published) == ["order.delivered", "order.shipped"]
        assert all(row.PUBLISHED_AT is not None for row in published)
    with pytest.raises(Conflict):
        orders.delete_order(p, admin, placed.id, 4)
    orders.delete_order(p, admin, placed.id, 5)
    with pytest.raises(NotFound):
        orders.get_order(p, admin, placed.id)
    assert orders.list_orders(p, who, OrderQuery()).total == 0
    assert admin_orders.list_orders(p, admin, AdminOrderQuery()).total == 0
