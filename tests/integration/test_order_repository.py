"""The order repository, the outbox and the order use cases on real databases (SQLite, PostgreSQL; Oracle with
ORACLE_DSN): one transaction per change, conditional transitions, stock given back by addition, batched loads
(a page of 100 orders is a constant number of statements) and the relay's SKIP LOCKED claim."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, event, select

from storefront.adapters.db.tables import OUTBOX_MESSAGES, PRODUCTS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application import orders
from storefront.application.order_queries import OrderQuery
from storefront.application.orders import NewOrder, OrderLine
from storefront.application.outbox import relay_outbox
from storefront.application.ports import OrderPorts
from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict, NotFound
from storefront.domain.identity import Principal, Role, UserStatus
from storefront.domain.money import Money
from storefront.domain.orders import EventKind, Order, OrderStatus, PaymentStatus, replay
from storefront.domain.products import Product
from storefront.messages.envelope import Envelope, Queue
from tests.conftest import details
from tests.fakes import FakeCache, FakeListTotals, FakePublisher, FixedClock
from tests.integration.conftest import stored_account

ADDRESS = Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR", line2="Bât. B")


def ports(engine: Engine, publisher: FakePublisher | None = None, clock: FixedClock | None = None) -> OrderPorts:
    return OrderPorts(
        unit_of_work=lambda: SqlUnitOfWork(engine),
        totals=FakeListTotals(),
        cache=FakeCache(),
        clock=clock or FixedClock(),
        publisher=publisher if publisher is not None else FakePublisher(),
    )


def buyer() -> Principal:
    return Principal(user_id=str(uuid4()), username="bo", role=Role.USER, tenant_id=uuid4())


def product(engine: Engine, tenant: UUID, stock: int = 10, price: str = "8.90") -> Product:
    made = Product.create(
        tenant,
        details(sku=f"T-{uuid4().hex[:10]}", stock=stock, price=Money.of(price, "EUR")),
        "admin",
        FixedClock().now(),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(made)
        uow.commit()
    return made


def stock_of(engine: Engine, product_id: UUID) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(PRODUCTS.c.STOCK).where(PRODUCTS.c.ID == product_id)).scalar_one())


def place(engine: Engine, who: Principal, *lines: tuple[Product, int], p: OrderPorts | None = None) -> Order:
    request = NewOrder(tuple(OrderLine(pr.id, q) for pr, q in lines), ADDRESS, "tok_approve", "notes")
    return orders.create_order(p or ports(engine), stored_account(engine, who), request)


def saga_step(engine: Engine, order: Order, status: OrderStatus, payment: PaymentStatus | None = None) -> Order:
    """What the saga (a later part of issue 7) does to an order: one conditional move."""
    with SqlUnitOfWork(engine) as uow:
        current = uow.orders.get(order.tenant_id, order.id)
        assert current is not None
        moved, change = current.moved_to(status, "saga", FixedClock().now(), payment_status=payment)
        assert uow.orders.update(moved, current, change)
        uow.commit()
    return moved


def test_an_order_round_trips_with_items_history_and_no_token_lost(engine):
    who = buyer()
    tea, pot = product(engine, who.tenant_id, price="8.90"), product(engine, who.tenant_id, price="24.50")
    publisher = FakePublisher()
    made = place(engine, who, (tea, 2), (pot, 1), p=ports(engine, publisher))
    read = orders.get_order(ports(engine), who, made.id)
    assert read == made
    assert read.history == made.history
    assert read.total == Money.of("42.30", "EUR")
    assert [i.line_total.amount for i in read.items] == [
        Money.of("17.80", "EUR").amount,
        Money.of("24.50", "EUR").amount,
    ]
    assert read.payment_token == "tok_approve"
    assert read.shipping_address == ADDRESS
    ((queue, message),) = publisher.sent
    assert queue is Queue.ORDER_PROCESSING
    with engine.connect() as connection:
        row = connection.execute(select(OUTBOX_MESSAGES).where(OUTBOX_MESSAGES.c.ID == message.id)).one()
    assert row.PUBLISHED_AT is not None
    assert Envelope.model_validate_json(row.BODY) == message


def test_a_rolled_back_create_leaves_no_order_and_no_message(engine):
    who = buyer()
    tea = product(engine, who.tenant_id)
    other_currency = Product.create(
        who.tenant_id, details(sku=f"U-{uuid4().hex[:10]}", price=Money.of("1.00", "USD")), "admin", FixedClock().now()
    )
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(other_currency)
        uow.commit()
    publisher = FakePublisher()
    with pytest.raises(Exception):  # noqa: B017 - the domain's 422, whatever its code
        place(engine, who, (tea, 1), (other_currency, 1), p=ports(engine, publisher))
    assert publisher.sent == []
    assert orders.list_orders(ports(engine), who, OrderQuery()).total == 0


def test_transitions_are_conditional_and_events_unique(engine):
    who = buyer()
    made = place(engine, who, (product(engine, who.tenant_id), 1))
    with SqlUnitOfWork(engine) as uow:
        current = uow.orders.get(who.tenant_id, made.id)
        assert current is not None
        reserved, first = current.moved_to(OrderStatus.RESERVED, "saga", FixedClock().now())
        failed, second = current.moved_to(OrderStatus.FAILED, "saga", FixedClock().now())
        assert uow.orders.update(reserved, current, first)
        assert not uow.orders.update(failed, current, second), "the status and version it was read at are gone"
        uow.commit()
    with SqlUnitOfWork(engine) as uow, pytest.raises(Conflict):
        # A second writer that got past the version (it cannot through update) still meets UNIQUE (ORDER_ID, SEQUENCE).
        uow.orders.update(reserved, reserved, first)
    stored = orders.get_order(ports(engine), who, made.id)
    assert [e.kind for e in stored.history] == [EventKind.PLACED, EventKind.RESERVED]
    assert replay(stored.history).status is stored.status is OrderStatus.RESERVED


def test_cancel_gives_held_stock_back_and_queues_refund_and_notice(engine):
    who = buyer()
    tea = product(engine, who.tenant_id, stock=10)
    made = place(engine, who, (tea, 3))
    saga_step(engine, made, OrderStatus.RESERVED)
    with engine.begin() as connection:  # the saga's reservation, as it will do it
        connection.execute(PRODUCTS.update().where(PRODUCTS.c.ID == tea.id).values(STOCK=PRODUCTS.c.STOCK - 3))
    confirmed = saga_step(engine, made, OrderStatus.CONFIRMED, PaymentStatus.CAPTURED)
    publisher = FakePublisher()
    cancelled = orders.cancel_order(ports(engine, publisher), who, made.id, confirmed.version)
    assert (cancelled.status, cancelled.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUND_REQUESTED)
    assert stock_of(engine, tea.id) == 10
    assert [q for q, _ in publisher.sent] == [Queue.NOTIFICATION, Queue.PAYMENT]
    with pytest.raises(Conflict):
        orders.cancel_order(ports(engine), who, made.id, None)
    assert stock_of(engine, tea.id) == 10, "released exactly once"
    orders.delete_order(ports(engine), who, made.id, None)
    with pytest.raises(NotFound):
        orders.get_order(ports(engine), who, made.id)


def test_lists_are_own_filtered_sorted_and_paged(engine):
    who, other = buyer(), buyer()
    other = Principal(user_id=other.user_id, username="x", role=Role.USER, tenant_id=who.tenant_id)
    tea = product(engine, who.tenant_id, stock=1000, price="1.00")
    clock = FixedClock()
    made = []
    for n in range(5):
        made.append(place(engine, who, (tea, n + 1), p=ports(engine, clock=clock)))
        clock.advance(60)
    place(engine, other, (tea, 1))
    orders.cancel_order(ports(engine), who, made[0].id, None)
    p = ports(engine)
    first = orders.list_orders(p, who, OrderQuery(limit=2))
    assert [o.id for o in first.items] == [made[4].id, made[3].id]
    assert (first.total, first.has_next) == (5, True)
    assert first.items[0].items[0].quantity == 5
    rest = orders.list_orders(p, who, OrderQuery(limit=10, cursor=first.next_cursor))
    assert [o.id for o in rest.items] == [made[2].id, made[1].id, made[0].id]
    by_total = orders.list_orders(p, who, OrderQuery(sort="total", order="asc", limit=2))
    assert [o.id for o in by_total.items] == [made[0].id, made[1].id]
    assert [o.id for o in orders.list_orders(p, who, OrderQuery(status=OrderStatus.CANCELLED)).items] == [made[0].id]
    ranged = OrderQuery(created_from=made[1].created_at, created_to=made[3].created_at, order="asc")
    assert [o.id for o in orders.list_orders(p, who, ranged).items] == [made[1].id, made[2].id, made[3].id]
    assert orders.list_orders(p, other, OrderQuery()).total == 1


def store_orders(engine: Engine, tenant: UUID, owners: Sequence[UUID], count: int) -> None:
    """``count`` PENDING orders of two lines each, placed a second apart by ``owners`` in turn, in one transaction."""
    tea, pot = product(engine, tenant, stock=10_000), product(engine, tenant, stock=10_000)
    clock = FixedClock()
    with SqlUnitOfWork(engine) as uow:
        for n in range(count):
            order, placed = Order.place(
                tenant_id=tenant,
                user_id=owners[n % len(owners)],
                items=orders.priced_items([OrderLine(tea.id, 1), OrderLine(pot.id, 2)], {tea.id: tea, pot.id: pot}),
                shipping_address=ADDRESS,
                payment_token="tok_approve",
                notes=None,
                actor=str(owners[n % len(owners)]),
                now=clock.now(),
            )
            uow.orders.add(order, placed)
            clock.advance(1)
        uow.commit()


def test_a_page_of_100_orders_costs_three_statements(engine):
    who = buyer()
    store_orders(engine, who.tenant_id, [UUID(who.user_id)], 100)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = orders.list_orders(ports(engine), who, OrderQuery(limit=100))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(page.items) == 100
    assert all(len(o.items) == 2 and len(o.history) == 1 for o in page.items)
    assert len(statements) == 3, statements  # the page (with its capped count), the items, the events


def test_the_outbox_claims_oldest_first_and_records_sends(engine):
    who = buyer()
    tea = product(engine, who.tenant_id, stock=100)
    clock = FixedClock()
    down = FakePublisher()
    down.down = True
    for _ in range(3):
        place(engine, who, (tea, 1), p=ports(engine, down, clock))
        clock.advance(1)
    clock.advance(60)
    with SqlUnitOfWork(engine) as uow:
        claimed = uow.outbox.claim(2, clock.now())
        uow.outbox.mark_failed([claimed[0].id])
        uow.commit()
    assert [c.attempts for c in claimed] == [0, 0]
    up = FakePublisher()
    # Only this test's rows: the outbox is shared by every test on this database, so count what this buyer sent.
    report = relay_outbox(lambda: SqlUnitOfWork(engine), up, clock, grace=timedelta(0))
    mine = [m for _, m in up.sent if m.tenant_id == who.tenant_id]
    assert len(mine) == 3
    assert report.failed == 0
    with engine.connect() as connection:
        rows = connection.execute(
            select(OUTBOX_MESSAGES)
            .where(OUTBOX_MESSAGES.c.TENANT_ID == who.tenant_id)
            .order_by(OUTBOX_MESSAGES.c.CREATED_AT)
        ).all()
    assert [r.ATTEMPTS for r in rows] == [1, 0, 0]
    assert all(r.PUBLISHED_AT is not None for r in rows)
    assert [m.id for m in mine] == [r.ID for r in rows], "oldest first"


class SlowPublisher(FakePublisher):
    """Takes its time per batch, so two relays' transactions overlap."""

    def __init__(self, log: list[UUID], lock: threading.Lock) -> None:
        super().__init__()
        self.log, self.lock = log, lock

    def publish(self, queue: Queue, messages: Sequence[Envelope], delay_seconds: int = 0) -> list[UUID]:
        time.sleep(0.02)
        with self.lock:
            self.log.extend(m.id for m in messages)
        return []


def test_two_relays_in_parallel_never_publish_a_row_twice(postgresql_url):
    from storefront.adapters.db.engine import build_engine
    from tests.integration.conftest import database_settings

    engine = build_engine(postgresql_url, database_settings(postgresql_url))
    try:
        who = buyer()
        tea = product(engine, who.tenant_id, stock=10_000)
        down = FakePublisher()
        down.down = True
        clock = FixedClock()
        for _ in range(120):
            place(engine, who, (tea, 1), p=ports(engine, down, clock))
        clock.advance(60)
        log: list[UUID] = []
        lock = threading.Lock()
        start = threading.Barrier(2)

        def relay() -> None:
            start.wait()
            relay_outbox(
                lambda: SqlUnitOfWork(engine), SlowPublisher(log, lock), clock, batch_size=20, grace=timedelta(0)
            )

        threads = [threading.Thread(target=relay) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with engine.connect() as connection:
            mine = set(
                connection.execute(
                    select(OUTBOX_MESSAGES.c.ID).where(OUTBOX_MESSAGES.c.TENANT_ID == who.tenant_id)
                ).scalars()
            )
        sent_mine = [i for i in log if i in mine]
        duplicates = [i for i, n in Counter(log).items() if n > 1]
        assert duplicates == []
        assert set(sent_mine) == mine, "every row sent, each once"
    finally:
        engine.dispose()


def test_a_sync_reads_every_users_orders_in_update_order_with_items_and_history(engine):
    from storefront.application.order_services import sync_orders

    who = buyer()
    other = Principal(user_id=str(uuid4()), username="al", role=Role.USER, tenant_id=who.tenant_id)
    tea = product(engine, who.tenant_id)
    clock = FixedClock()
    first = place(engine, who, (tea, 1), p=ports(engine, clock=clock))
    clock.advance(1)
    second = place(engine, other, (tea, 2), p=ports(engine, clock=clock))
    clock.advance(1)
    with SqlUnitOfWork(engine) as uow:  # the first moves on after the second was placed: it comes last
        current = uow.orders.get(who.tenant_id, first.id)
        assert current is not None
        moved, change = current.moved_to(OrderStatus.RESERVED, "saga", clock.now())
        assert uow.orders.update(moved, current, change)
        uow.commit()
    clock.advance(60)
    page = sync_orders(ports(engine, clock=clock), who.tenant_id, None, 10, lag_seconds=30)
    assert [(o.id, o.status) for o in page.items] == [
        (second.id, OrderStatus.PENDING),
        (first.id, OrderStatus.RESERVED),
    ]
    assert [len(o.items) for o in page.items] == [1, 1]
    assert [len(o.history) for o in page.items] == [1, 2]
    early = sync_orders(ports(engine, clock=clock), who.tenant_id, None, 10, lag_seconds=60.5)
    assert [o.id for o in early.items] == [second.id]


def test_a_batch_places_orders_for_live_users_in_bulk_with_their_messages(engine):
    from storefront.adapters.db.tables import ORDER_ITEMS, ORDERS
    from storefront.application.order_services import ImportedOrder, batch_create_orders
    from storefront.domain.users import Identity, User

    service = Principal(user_id="billing", username="billing", role=Role.SERVICE, tenant_id=uuid4())
    tea = product(engine, service.tenant_id, stock=50)
    ada = User.create(
        service.tenant_id,
        Identity(f"{uuid4().hex[:8]}@example.com", uuid4().hex[:8], "Ada"),
        "!",
        None,
        FixedClock().now(),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(ada)
        uow.commit()
    request = NewOrder((OrderLine(tea.id, 2),), ADDRESS, "tok_approve")
    publisher = FakePublisher()
    banned = User.create(
        service.tenant_id,
        Identity(f"{uuid4().hex[:8]}@example.com", uuid4().hex[:8], "Banned"),
        "!",
        None,
        FixedClock().now(),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(dataclasses.replace(banned, status=UserStatus.BANNED))
        uow.commit()
    items = [ImportedOrder(ada.id, request)] * 600 + [ImportedOrder(uuid4(), request)]  # more than one chunk
    items.append(ImportedOrder(banned.id, request))  # outside pass: a banned account's order was placed
    results = batch_create_orders(ports(engine, publisher), service, items)
    assert [r.status for r in results] == ["created"] * 600 + ["failed", "failed"]
    ids = [r.id for r in results[:600]]
    with engine.connect() as connection:
        stored = connection.execute(select(ORDERS.c.ID, ORDERS.c.STATUS).where(ORDERS.c.ID.in_(ids))).all()
        lines = connection.execute(select(ORDER_ITEMS.c.ORDER_ID).where(ORDER_ITEMS.c.ORDER_ID.in_(ids))).all()
        messages = connection.execute(
            select(OUTBOX_MESSAGES.c.ID).where(OUTBOX_MESSAGES.c.TENANT_ID == service.tenant_id)
        ).all()
    assert {row.STATUS for row in stored} == {"PENDING"}
    assert len(stored) == len(lines) == len(messages) == 600
    assert len(publisher.sent) == 600


def test_a_bulk_update_amends_orders_and_appends_their_events_or_nothing(engine):
    from storefront.application.order_services import OrderChange, bulk_update_orders

    who = buyer()
    tea = product(engine, who.tenant_id, stock=50)
    placed = [place(engine, who, (tea, 1)) for _ in range(3)]
    service = Principal(user_id="billing", username="billing", role=Role.SERVICE, tenant_id=who.tenant_id)
    changes = [OrderChange(o.id, 1, {"notes": f"note {n}"}) for n, o in enumerate(placed)]
    changes.append(OrderChange(placed[0].id, 1, {"notes": "twice"}))
    results = bulk_update_orders(ports(engine), service, changes)
    assert [r.status for r in results] == ["updated", "updated", "updated", "failed"]
    with SqlUnitOfWork(engine) as uow:
        stored = uow.orders.get_many(who.tenant_id, [o.id for o in placed])
    assert [(stored[o.id].notes, stored[o.id].version, len(stored[o.id].history)) for o in placed] == [
        (f"note {n}", 2, 2) for n in range(3)
    ]
    stale = bulk_update_orders(ports(engine), service, [OrderChange(placed[0].id, 1, {"notes": "stale"})])
    assert stale[0].status == "conflict"
