"""Order use cases against fakes of every port: placement, reads, amendments, cancellation and the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from storefront.application import orders
from storefront.application.order_queries import OrderQuery
from storefront.application.orders import NewOrder, OrderLine
from storefront.application.outbox import relay_outbox
from storefront.application.products import cache_key
from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict, ErrorCode, NotFound, Unauthenticated, ValidationFailed
from storefront.domain.identity import Principal, Role, UserStatus
from storefront.domain.money import Money
from storefront.domain.orders import EventKind, OrderStatus, PaymentStatus, replay
from storefront.domain.products import Product, ProductStatus
from storefront.messages.envelope import Envelope, Queue, parse
from storefront.messages.orders import OrderCancelled, OrderPlaced, RefundRequested
from tests.conftest import details
from tests.fakes import FakeOrders, FakePublisher

ADDRESS = Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR")


@pytest.fixture
def shop() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def buyer(shop: FakeOrders, tenant: UUID) -> Principal:
    return shop.account(Principal(user_id=str(uuid4()), username="bo", role=Role.USER, tenant_id=tenant))


def stock(
    shop: FakeOrders, tenant: UUID, *, stock: int = 10, price: str = "8.90", currency: str = "EUR", **more
) -> Product:
    product = Product.create(
        tenant,
        details(sku=f"SKU-{uuid4().hex[:8]}", stock=stock, price=Money.of(price, currency), **more),
        "admin",
        shop.clock.now(),
    )
    shop.state.products[product.id] = product
    return product


def order_of(message: Envelope) -> UUID:
    data = parse(message.to_json())[1]
    assert isinstance(data, OrderPlaced)
    return data.order_id


def request(*lines: tuple[Product, int], notes: str | None = None) -> NewOrder:
    return NewOrder(tuple(OrderLine(p.id, q) for p, q in lines), ADDRESS, "tok_approve", notes)


def test_create_writes_order_event_and_message_in_one_transaction_then_publishes(shop, buyer):
    tea = stock(shop, buyer.tenant_id, stock=5)
    order = orders.create_order(shop.ports, buyer, request((tea, 2), notes="door"))
    assert (order.status, order.payment_status, order.version) == (OrderStatus.PENDING, PaymentStatus.PENDING, 1)
    assert order.total == Money(Decimal("17.80"), "EUR")
    writing = shop.units[0]
    assert writing.committed
    assert [e.kind for e in shop.state.orders[order.id].history] == [EventKind.PLACED]
    ((queue, message),) = shop.publisher.sent
    assert queue is Queue.ORDER_PROCESSING
    envelope, data = parse(message.to_json())
    assert data == OrderPlaced(order_id=order.id)
    assert envelope.tenant_id == buyer.tenant_id
    assert shop.state.outbox[message.id].published_at is not None
    assert shop.state.products[tea.id].details.stock == 5, "stock is reserved by the saga, not at creation"
    assert shop.state.orders[order.id].payment_token == "tok_approve"


def test_a_queue_down_at_create_leaves_the_order_and_the_relay_sends_it_after_recovery(shop, buyer):
    tea = stock(shop, buyer.tenant_id)
    shop.publisher.down = True
    order = orders.create_order(shop.ports, buyer, request((tea, 1)))
    assert shop.state.orders[order.id].status is OrderStatus.PENDING
    (row,) = shop.state.outbox.values()
    assert row.published_at is None
    shop.clock.advance(60)
    failed = relay_outbox(shop.unit_of_work, shop.publisher, shop.clock)
    assert (failed.claimed, failed.published, failed.failed) == (1, 0, 1)
    assert row.attempts == 0
    assert shop.state.outbox[row.message.id].attempts == 1
    shop.publisher.down = False
    sent = relay_outbox(shop.unit_of_work, shop.publisher, shop.clock)
    assert (sent.published, sent.failed) == (1, 0)
    assert [parse(m.to_json())[1] for _, m in shop.publisher.sent] == [OrderPlaced(order_id=order.id)]
    assert relay_outbox(shop.unit_of_work, shop.publisher, shop.clock).claimed == 0, "published once"


def test_without_a_queue_messages_wait_in_the_outbox(buyer):
    shop = FakeOrders(no_queue=True)
    shop.account(buyer)
    tea = stock(shop, buyer.tenant_id)
    orders.create_order(shop.ports, buyer, request((tea, 1)))
    (row,) = shop.state.outbox.values()
    assert row.published_at is None


def test_nothing_is_published_for_a_transaction_that_did_not_commit(buyer):
    shop = FakeOrders(fail_commits=True)
    shop.account(buyer)
    tea = stock(shop, buyer.tenant_id)
    with pytest.raises(Exception, match="unavailable"):
        orders.create_order(shop.ports, buyer, request((tea, 1)))
    assert shop.publisher.sent == []
    assert shop.state.orders == {}
    assert shop.state.outbox == {}


def test_the_relay_leaves_fresh_messages_to_their_request(shop, buyer):
    tea = stock(shop, buyer.tenant_id)
    shop.publisher.down = True
    orders.create_order(shop.ports, buyer, request((tea, 1)))
    shop.publisher.down = False
    assert relay_outbox(shop.unit_of_work, shop.publisher, shop.clock).claimed == 0
    shop.clock.advance(1)
    assert relay_outbox(shop.unit_of_work, shop.publisher, shop.clock, grace=timedelta(0)).published == 1


def test_the_relay_sends_oldest_first_in_batches_of_ten_and_counts_refusals(shop, buyer):
    tea = stock(shop, buyer.tenant_id, stock=1000)
    shop.publisher.down = True
    placed = []
    for _ in range(25):
        placed.append(orders.create_order(shop.ports, buyer, request((tea, 1))).id)
        shop.clock.advance(1)
    shop.publisher.down = False
    refused = next(r.message.id for r in shop.state.outbox.values() if order_of(r.message) == placed[3])
    shop.publisher.refuse = {refused}
    shop.clock.advance(60)
    report = relay_outbox(shop.unit_of_work, shop.publisher, shop.clock, batch_size=10)
    assert (report.claimed, report.published, report.failed) == (10, 9, 1), "a failed send ends the run"
    assert shop.state.outbox[refused].attempts == 1
    assert shop.state.outbox[refused].published_at is None
    shop.publisher.refuse = set()
    report = relay_outbox(shop.unit_of_work, shop.publisher, shop.clock, batch_size=10)
    assert (report.claimed, report.published, report.failed) == (16, 16, 0)
    sent = [order_of(m) for _, m in shop.publisher.sent]
    assert sent == [*placed[:3], *placed[4:10], placed[3], *placed[10:]], "oldest first, the failed one first next run"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"deleted": True}, "items.0.product_id", ErrorCode.INVALID_FORMAT),
        ({"status": ProductStatus.DISCONTINUED}, "items.0.product_id", ErrorCode.INVALID_FORMAT),
        ({"other_tenant": True}, "items.0.product_id", ErrorCode.INVALID_FORMAT),
        ({"currency": "USD"}, "items", ErrorCode.INVALID_FORMAT),
        ({"quantity": 11}, "items.0.quantity", ErrorCode.LIMIT_EXCEEDED),
    ],
)
def test_create_refuses_products_that_cannot_be_ordered(shop, buyer, change, field, code):
    tea = stock(shop, buyer.tenant_id, stock=10)
    if change.get("deleted"):
        shop.state.products[tea.id] = tea.delete("admin", shop.clock.now())
    if "status" in change:
        shop.state.products[tea.id] = replace(tea, details=replace(tea.details, status=change["status"]))
    if change.get("other_tenant"):
        shop.state.products[tea.id] = replace(tea, tenant_id=uuid4())
    lines = [(tea, change.get("quantity", 1))]
    if "currency" in change:
        lines.append((stock(shop, buyer.tenant_id, currency="USD"), 1))
    with pytest.raises(ValidationFailed) as failed:
        orders.create_order(shop.ports, buyer, request(*lines))
    assert (failed.value.errors[0].field, failed.value.code) == (field, code)
    assert shop.state.orders == {}
    assert shop.publisher.sent == []


REACH_ROUTES = {
    "get": lambda ports, caller, order_id: orders.get_order(ports, caller, order_id),
    "amend": lambda ports, caller, order_id: orders.amend_order(ports, caller, order_id, {"notes": "x"}, None),
    "cancel": lambda ports, caller, order_id: orders.cancel_order(ports, caller, order_id, None),
}


@pytest.mark.parametrize("route", sorted(REACH_ROUTES))
@pytest.mark.parametrize(
    ("caller", "reaches"),
    [
        ("owner", True),
        ("admin of the tenant", True),
        ("another user of the tenant", False),
        ("the owner in another tenant", False),
        ("an admin of another tenant", False),
        ("a service", False),
    ],
)
def test_an_order_is_reached_by_its_owner_or_an_admin_of_its_tenant(shop, buyer, route, caller, reaches):
    order = orders.create_order(shop.ports, buyer, request((stock(shop, buyer.tenant_id), 1)))
    someone = Principal(user_id=str(uuid4()), username="eve", role=Role.USER, tenant_id=buyer.tenant_id)
    callers = {
        "owner": buyer,
        "admin of the tenant": replace(someone, role=Role.ADMIN),
        "another user of the tenant": someone,
        "the owner in another tenant": replace(buyer, tenant_id=uuid4()),
        "an admin of another tenant": replace(someone, role=Role.ADMIN, tenant_id=uuid4()),
        "a service": replace(someone, user_id="billing-service", role=Role.SERVICE),
    }
    if reaches:
        assert REACH_ROUTES[route](shop.ports, callers[caller], order.id).id == order.id
    else:
        with pytest.raises(NotFound):
            REACH_ROUTES[route](shop.ports, callers[caller], order.id)
        assert shop.state.orders[order.id] == order, "nothing changed"


def test_an_admin_deletes_a_finished_order_of_another_user_and_lists_stay_own(shop, buyer):
    order = orders.create_order(shop.ports, buyer, request((stock(shop, buyer.tenant_id), 1)))
    admin = Principal(user_id=str(uuid4()), username="root", role=Role.ADMIN, tenant_id=buyer.tenant_id)
    assert orders.list_orders(shop.ports, admin, OrderQuery()).total == 0, "GET /orders lists the caller's own"
    orders.cancel_order(shop.ports, admin, order.id, None)
    orders.delete_order(shop.ports, admin, order.id, None)
    with pytest.raises(NotFound):
        orders.get_order(shop.ports, buyer, order.id)
    assert orders.list_orders(shop.ports, buyer, OrderQuery()).total == 0


def test_amend_while_pending_with_versions(shop, buyer):
    order = orders.create_order(shop.ports, buyer, request((stock(shop, buyer.tenant_id), 1)))
    with pytest.raises(Conflict):
        orders.amend_order(shop.ports, buyer, order.id, {"notes": "x"}, expected_version=7)
    amended = orders.amend_order(shop.ports, buyer, order.id, {"notes": "Ring twice"}, expected_version=1)
    assert (amended.version, amended.notes) == (2, "Ring twice")
    assert [e.kind for e in amended.history] == [EventKind.PLACED, EventKind.AMENDED]


def test_delete_only_once_finished(shop, buyer):
    order = orders.create_order(shop.ports, buyer, request((stock(shop, buyer.tenant_id), 1)))
    with pytest.raises(Conflict):
        orders.delete_order(shop.ports, buyer, order.id, None)
    orders.cancel_order(shop.ports, buyer, order.id, None)
    orders.delete_order(shop.ports, buyer, order.id, None)
    with pytest.raises(NotFound):
        orders.get_order(shop.ports, buyer, order.id)
    assert orders.list_orders(shop.ports, buyer, OrderQuery()).total == 0


def test_cancel_from_pending_sends_a_notification_and_takes_no_stock(shop, buyer):
    tea = stock(shop, buyer.tenant_id, stock=4)
    order = orders.create_order(shop.ports, buyer, request((tea, 3)))
    cancelled = orders.cancel_order(shop.ports, buyer, order.id, 1)
    assert cancelled.status is OrderStatus.CANCELLED
    assert shop.state.products[tea.id].details.stock == 4
    assert [(q, type(parse(m.to_json())[1])) for q, m in shop.publisher.sent[1:]] == [
        (Queue.NOTIFICATION, OrderCancelled)
    ]
    assert replay(shop.state.orders[order.id].history).status is OrderStatus.CANCELLED


def test_cancel_of_a_paid_reserved_order_gives_stock_back_and_asks_a_refund(shop, buyer):
    tea = stock(shop, buyer.tenant_id, stock=4)
    order = orders.create_order(shop.ports, buyer, request((tea, 3)))
    # What the saga (a later part of issue 7) does: reserve the stock and take the payment.
    reserved, _ = shop.state.orders[order.id].moved_to(OrderStatus.RESERVED, "saga", shop.clock.now())
    paid, _ = reserved.moved_to(OrderStatus.CONFIRMED, "saga", shop.clock.now(), payment_status=PaymentStatus.CAPTURED)
    shop.state.orders[order.id] = paid
    shop.state.products[tea.id] = replace(tea, details=replace(tea.details, stock=1))
    shop.cache.entries[cache_key(buyer.tenant_id, tea.id)] = b"stale"
    cancelled = orders.cancel_order(shop.ports, buyer, order.id, None)
    assert (cancelled.status, cancelled.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUND_REQUESTED)
    assert shop.state.products[tea.id].details.stock == 4
    assert cache_key(buyer.tenant_id, tea.id) not in shop.cache.entries
    sent = [(q, parse(m.to_json())[1]) for q, m in shop.publisher.sent[1:]]
    assert sent == [
        (Queue.NOTIFICATION, OrderCancelled(order_id=order.id)),
        (Queue.PAYMENT, RefundRequested(order_id=order.id)),
    ]
    with pytest.raises(Conflict):
        orders.cancel_order(shop.ports, buyer, order.id, None)


def test_a_cancel_racing_another_change_is_a_conflict_and_changes_nothing(shop, buyer):
    tea = stock(shop, buyer.tenant_id)
    order = orders.create_order(shop.ports, buyer, request((tea, 1)))

    class Racing(FakeOrders):
        def unit_of_work(self):
            unit = super().unit_of_work()
            original = unit.orders.update

            def update(changed, expected, event):
                moved, _ = shop.state.orders[order.id].moved_to(OrderStatus.RESERVED, "saga", shop.clock.now())
                unit.state.orders[order.id] = moved  # the saga committed first
                return original(changed, expected, event)

            setattr(unit.orders, "update", update)  # noqa: B010 - the race is in the repository's update
            return unit

    racing = Racing(state=shop.state, publisher=FakePublisher())
    with pytest.raises(Conflict):
        orders.cancel_order(racing.ports, buyer, order.id, None)
    assert shop.state.orders[order.id].status is OrderStatus.PENDING
    assert racing.publisher.sent == []


def test_list_pages_own_orders_with_filters_and_remembers_the_total(shop, buyer):
    tea = stock(shop, buyer.tenant_id, stock=100)
    made = []
    for n in range(5):
        made.append(orders.create_order(shop.ports, buyer, request((tea, n + 1))))
        shop.clock.advance(60)
    orders.cancel_order(shop.ports, buyer, made[0].id, None)
    first = orders.list_orders(shop.ports, buyer, OrderQuery(limit=2))
    assert [o.id for o in first.items] == [made[4].id, made[3].id]
    assert (first.total, first.has_next) == (5, True)
    second = orders.list_orders(shop.ports, buyer, OrderQuery(limit=2, cursor=first.next_cursor))
    assert [o.id for o in second.items] == [made[2].id, made[1].id]
    cancelled = orders.list_orders(shop.ports, buyer, OrderQuery(status=OrderStatus.CANCELLED))
    assert [o.id for o in cancelled.items] == [made[0].id]
    by_total = orders.list_orders(shop.ports, buyer, OrderQuery(sort="total", order="asc", limit=1))
    assert by_total.items[0].id == made[0].id
    window = OrderQuery(created_from=made[1].created_at, created_to=made[2].created_at)
    assert {o.id for o in orders.list_orders(shop.ports, buyer, window).items} == {made[1].id, made[2].id}
    with pytest.raises(ValidationFailed):
        orders.list_orders(
            shop.ports, buyer, OrderQuery(created_from=made[2].created_at, created_to=made[1].created_at)
        )
    with pytest.raises(ValidationFailed):
        orders.list_orders(shop.ports, buyer, OrderQuery(status=OrderStatus.PENDING, cursor=first.next_cursor))


@pytest.mark.parametrize(
    ("account", "error", "message"),
    [
        ("none", NotFound, "User not found"),
        ("in another tenant", NotFound, "User not found"),
        ("a service's subject", NotFound, "User not found"),
        ("banned", Unauthenticated, None),
    ],
)
def test_only_an_existing_active_account_places_an_order(shop, tenant, account, error, message):
    caller = Principal(user_id=str(uuid4()), username="who", role=Role.USER, tenant_id=tenant)
    if account == "in another tenant":
        shop.account(replace(caller, tenant_id=uuid4()))
    elif account == "a service's subject":
        caller = replace(caller, user_id="local-service", role=Role.SERVICE)
    elif account == "banned":
        shop.account(caller, UserStatus.BANNED)
    with pytest.raises(error) as refused:
        orders.create_order(shop.ports, caller, request((stock(shop, tenant), 1)))
    if message is not None:
        assert refused.value.message == message
    assert shop.state.orders == {}
    assert shop.publisher.sent == []


def test_the_relay_emits_the_backlog_and_the_oldest_messages_age(shop, buyer):
    """OutboxBacklog and OutboxOldestAgeSeconds after each run: what the outbox-age alarm watches."""
    from storefront.observability import metrics

    tea = stock(shop, buyer.tenant_id)
    shop.publisher.down = True
    orders.create_order(shop.ports, buyer, request((tea, 1)))
    shop.clock.advance(90)
    metrics.clear_metrics()
    relay_outbox(shop.unit_of_work, shop.publisher, shop.clock)
    assert metrics.metric_set["OutboxBacklog"]["Value"] == [1.0]
    assert metrics.metric_set["OutboxOldestAgeSeconds"]["Value"] == [90.0]
    assert metrics.metric_set["OutboxOldestAgeSeconds"]["Unit"] == "Seconds"
    shop.publisher.down = False
    metrics.clear_metrics()
    relay_outbox(shop.unit_of_work, shop.publisher, shop.clock)
    assert metrics.metric_set["OutboxBacklog"]["Value"] == [0.0]
    assert metrics.metric_set["OutboxOldestAgeSeconds"]["Value"] == [0.0]
    metrics.clear_metrics()
