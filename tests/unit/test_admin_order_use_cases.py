"""The admin's order use cases against fakes of every port: the tenant-wide list and its filters, reads,
fulfilment updates with their notifications, deletion."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from storefront.application import admin_orders, orders
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.order_queries import OrderQuery
from storefront.domain.errors import Conflict, NotFound, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.orders import EventKind, Order, OrderStatus, PaymentStatus
from storefront.messages.envelope import Queue, parse
from storefront.messages.orders import OrderDelivered, OrderShipped
from tests.fakes import FakeOrders
from tests.unit.test_order_use_cases import request, stock

S = OrderStatus


@pytest.fixture
def shop() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def buyers(shop: FakeOrders, tenant) -> list[Principal]:
    return [
        shop.account(Principal(user_id=str(uuid4()), username=f"u{n}", role=Role.USER, tenant_id=tenant))
        for n in range(2)
    ]


def confirmed(shop: FakeOrders, buyer: Principal, quantity: int = 1) -> Order:
    """An order the saga has reserved and paid."""
    order = orders.create_order(shop.ports, buyer, request((stock(shop, buyer.tenant_id, stock=100), quantity)))
    reserved, _ = order.moved_to(S.RESERVED, "saga", shop.clock.now())
    paid, _ = reserved.moved_to(S.CONFIRMED, "saga", shop.clock.now(), payment_status=PaymentStatus.CAPTURED)
    shop.state.orders[order.id] = paid
    return paid


def sent_notices(shop: FakeOrders) -> list[object]:
    return [parse(m.to_json())[1] for q, m in shop.publisher.sent if q is Queue.NOTIFICATION]


def test_the_list_spans_every_user_of_the_tenant_and_only_it(shop, admin, buyers):
    made = []
    for n in range(4):
        made.append(orders.create_order(shop.ports, buyers[n % 2], request((stock(shop, admin.tenant_id), n + 1))))
        shop.clock.advance(60)
    stranger = shop.account(replace(buyers[0], tenant_id=uuid4()))
    orders.create_order(shop.ports, stranger, request((stock(shop, stranger.tenant_id), 1)))
    page = admin_orders.list_orders(shop.ports, admin, AdminOrderQuery(limit=3))
    assert [o.id for o in page.items] == [made[3].id, made[2].id, made[1].id]
    assert (page.total, page.total_exact, page.has_next) == (4, True, True)
    rest = admin_orders.list_orders(shop.ports, admin, AdminOrderQuery(limit=3, cursor=page.next_cursor))
    assert ([o.id for o in rest.items], rest.has_next, rest.next_cursor) == ([made[0].id], False, None)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"user": 0}, [0, 2]),
        ({"status": S.CANCELLED}, [1]),
        ({"min_total": Decimal("17.80")}, [1, 2, 3]),
        ({"max_total": Decimal("17.80")}, [0, 1]),
        ({"min_total": Decimal("17.80"), "max_total": Decimal("26.70")}, [1, 2]),
        ({"created": (1, 2)}, [1, 2]),
        ({"user": 1, "status": S.PENDING}, [3]),
    ],
    ids=["user", "status", "min_total", "max_total", "total range", "created range", "user and status"],
)
def test_the_list_filters(shop, admin, buyers, filters, expected):
    tea = stock(shop, admin.tenant_id, stock=100, price="8.90")
    made = []
    for n in range(4):  # totals 8.90, 17.80, 26.70, 35.60; users 0, 1, 0, 1
        made.append(orders.create_order(shop.ports, buyers[n % 2], request((tea, n + 1))))
        shop.clock.advance(60)
    orders.cancel_order(shop.ports, buyers[1], made[1].id, None)
    fields: dict[str, Any] = {k: v for k, v in filters.items() if k not in ("user", "created")}
    if "user" in filters:
        fields["user_id"] = made[filters["user"]].user_id
    if "created" in filters:
        first, last = filters["created"]
        fields |= {"created_from": made[first].created_at, "created_to": made[last].created_at}
    page = admin_orders.list_orders(shop.ports, admin, AdminOrderQuery(order="asc", **fields))
    assert [o.id for o in page.items] == [made[n].id for n in expected]


@pytest.mark.parametrize(
    "query",
    [
        AdminOrderQuery(min_total=Decimal(5), max_total=Decimal(4)),
        AdminOrderQuery(limit=101),
        AdminOrderQuery(offset=10_001),
        AdminOrderQuery(cursor="not-a-cursor"),
    ],
    ids=["total range backwards", "limit", "offset", "cursor"],
)
def test_the_list_refuses_bad_queries(shop, admin, query):
    with pytest.raises(ValidationFailed):
        admin_orders.list_orders(shop.ports, admin, query)


def test_a_users_cursor_is_not_the_admins(shop, admin, buyers):
    for _ in range(3):
        orders.create_order(shop.ports, buyers[0], request((stock(shop, admin.tenant_id), 1)))
    mine = orders.list_orders(shop.ports, buyers[0], OrderQuery(limit=1))
    with pytest.raises(ValidationFailed):
        admin_orders.list_orders(shop.ports, admin, AdminOrderQuery(limit=1, cursor=mine.next_cursor))


def test_get_shows_any_order_of_the_tenant_with_its_history(shop, admin, buyers):
    order = confirmed(shop, buyers[1])
    got = orders.get_order(shop.ports, admin, order.id)
    assert [e.kind for e in got.history] == [EventKind.PLACED, EventKind.RESERVED, EventKind.CONFIRMED]
    with pytest.raises(NotFound):
        orders.get_order(shop.ports, replace(admin, tenant_id=uuid4()), order.id)
    with pytest.raises(NotFound):
        orders.get_order(shop.ports, admin, uuid4())


def test_shipping_then_delivering_appends_events_and_tells_the_owner(shop, admin, buyers):
    order = confirmed(shop, buyers[0])
    shipped = admin_orders.update_order(shop.ports, admin, order.id, S.SHIPPED, "Tracking 1Z", order.version)
    assert (shipped.status, shipped.notes, shipped.version, shipped.updated_by) == (
        S.SHIPPED,
        "Tracking 1Z",
        4,
        "admin-1",
    )
    delivered = admin_orders.update_order(shop.ports, admin, order.id, S.DELIVERED, "Tracking 1Z", None)
    assert [e.kind for e in shop.state.orders[order.id].history][-2:] == [EventKind.SHIPPED, EventKind.DELIVERED]
    assert delivered.version == 5
    assert sent_notices(shop) == [OrderShipped(order_id=order.id), OrderDelivered(order_id=order.id)]
    assert all(row.published_at is not None for row in shop.state.outbox.values())


def test_notes_alone_are_an_amendment_and_no_notification(shop, admin, buyers):
    order = confirmed(shop, buyers[0])
    noted = admin_orders.update_order(shop.ports, admin, order.id, S.CONFIRMED, "Gift wrap", None)
    assert (noted.notes, noted.history[-1].kind) == ("Gift wrap", EventKind.AMENDED)
    assert sent_notices(shop) == []


def test_an_update_that_changes_nothing_writes_nothing(shop, admin, buyers):
    order = confirmed(shop, buyers[0])
    same = admin_orders.update_order(shop.ports, admin, order.id, S.CONFIRMED, order.notes, order.version)
    assert same == order
    assert shop.state.orders[order.id].version == order.version
    assert not shop.units[-1].committed


@pytest.mark.parametrize(
    ("status", "version"),
    [(S.DELIVERED, None), (S.CANCELLED, None), (S.PENDING, None), (S.SHIPPED, 1)],
    ids=["skips shipping", "cancels (its own route)", "backwards", "stale version"],
)
def test_refused_updates_change_nothing(shop, admin, buyers, status, version):
    order = confirmed(shop, buyers[0])
    with pytest.raises(Conflict):
        admin_orders.update_order(shop.ports, admin, order.id, status, "x", version)
    assert shop.state.orders[order.id] == order
    assert sent_notices(shop) == []


def test_delete_only_finished_orders_of_any_user(shop, admin, buyers):
    order = confirmed(shop, buyers[0])
    with pytest.raises(Conflict):
        orders.delete_order(shop.ports, admin, order.id, None)
    admin_orders.update_order(shop.ports, admin, order.id, S.SHIPPED, None, None)
    admin_orders.update_order(shop.ports, admin, order.id, S.DELIVERED, None, None)
    with pytest.raises(Conflict):
        orders.delete_order(shop.ports, admin, order.id, 1)
    orders.delete_order(shop.ports, admin, order.id, 5)
    for read in (
        lambda: orders.get_order(shop.ports, admin, order.id),
        lambda: orders.get_order(shop.ports, buyers[0], order.id),
    ):
        with pytest.raises(NotFound):
            read()
    assert admin_orders.list_orders(shop.ports, admin, AdminOrderQuery()).total == 0
    assert orders.list_orders(shop.ports, buyers[0], OrderQuery()).total == 0
