"""The order saga's acceptance on real PostgreSQL and Redis, with the fake payment provider over HTTP: the
consumer functions (process_order, process_payment) run on SQS event shapes, messages travel through an
in-process queue (the publisher the consumers send to), and every delivery can be repeated or raced.

- 50 concurrent buyers of a product with stock 10: exactly 10 CONFIRMED, 40 FAILED, stock 0, never negative.
- Every message delivered 3 times (one after the other, and at once): each order charged once, its stock moved
  once, one ``order.confirmed`` notification message.
- The provider timing out: the breaker opens, messages are deferred (re-sent delayed, nothing lost), orders
  complete after recovery, nobody is charged twice.
- Redis down (cache, list totals and the breaker's shared state): orders still placed and processed with no
  double charge or double stock move.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis import Redis
from sqlalchemy import Engine, func, select

from localdev.aws_events import queue_arn, sqs_event
from localdev.payment_provider import LOCAL_API_KEY, FakePaymentProvider, ServedProvider, serve
from localdev.runtime import LambdaContext
from storefront import bootstrap
from storefront.adapters.cache.redis_cache import RedisCache
from storefront.adapters.cache.redis_totals import RedisListTotals
from storefront.adapters.db.engine import build_engine
from storefront.adapters.db.tables import NOTIFICATIONS_SENT, PAYMENT_RECORDS, PRODUCTS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.adapters.payments.breaker import PREFIX, BreakerPolicy, SharedCircuitBreaker
from storefront.adapters.payments.http_provider import HttpPaymentProvider, Timeouts
from storefront.adapters.payments.retries import RetryPolicy
from storefront.application import admin_orders, orders, saga
from storefront.application.notifications import CLAIM_ABANDONED_AFTER
from storefront.application.orders import NewOrder, OrderLine
from storefront.application.ports import NotificationPorts, OrderPorts
from storefront.domain.addresses import Address
from storefront.domain.identity import Principal, Role
from storefront.domain.orders import Order, OrderStatus, PaymentStatus, replay
from storefront.domain.payments import charge_key
from storefront.domain.products import Product
from storefront.domain.users import Identity, User
from storefront.messages.envelope import Envelope, Queue
from tests.conftest import details
from tests.fakes import FakeCache, FakeListTotals, FakeNotifier, FakePublisher, FixedClock
from tests.integration.conftest import database_settings, stored_account

ADDRESS = Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR")
TIMEOUTS = Timeouts(connect_seconds=0.5, read_seconds=0.4)
RETRIES = RetryPolicy(
    max_attempts=2, backoff_base_seconds=0.01, backoff_max_seconds=0.05, total_seconds=2.0, attempt_seconds=0.9
)
BREAKER = BreakerPolicy(failure_threshold=2, reset_timeout_ms=600, probe_timeout_ms=3000)
DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers


class Queues(FakePublisher):
    """The queues the consumers send to: what was sent, thread-safe, taken by the test to deliver."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def publish(self, queue: Queue, messages: Any, delay_seconds: int = 0) -> list[UUID]:
        with self.lock:
            return super().publish(queue, messages, delay_seconds)

    def take(self, queue: Queue) -> list[Envelope]:
        with self.lock:
            taken = [m for q, m in self.sent if q is queue]
            self.sent = [(q, m) for q, m in self.sent if q is not queue]
            return taken

    def types(self, queue: Queue) -> list[str]:
        with self.lock:
            return [m.type for q, m in self.sent if q is queue]


@pytest.fixture(scope="module")
def pg(postgresql_url: str) -> Iterator[Engine]:
    settings = database_settings(postgresql_url).model_copy(update={"db_pool_max": 20})
    built = build_engine(postgresql_url, settings)
    yield built
    built.dispose()


@pytest.fixture(autouse=True)
def consumer_settings(monkeypatch: pytest.MonkeyPatch, postgresql_url: str, provider: ServedProvider) -> None:
    """What the consumer functions read at import (their ports are provided: these only pass the checks)."""
    monkeypatch.setenv("DATABASE_URL", postgresql_url)
    monkeypatch.setenv("PAYMENT_PROVIDER_URL", provider.url)
    monkeypatch.setenv("PAYMENT_PROVIDER_API_KEY", LOCAL_API_KEY)


@pytest.fixture(scope="module")
def provider() -> Iterator[ServedProvider]:
    with serve(FakePaymentProvider(slow_seconds=1.5)) as served:
        yield served


class Pipeline:
    """The saga's consumers wired to PostgreSQL, a cache, the fake provider and the in-process queues."""

    def __init__(self, engine: Engine, provider_url: str, redis: Redis | None, breaker_name: str) -> None:
        self.engine = engine
        self.queues = Queues()
        cache = RedisCache(redis) if redis is not None else FakeCache()
        totals = RedisListTotals(redis, ttl_seconds=60) if redis is not None else FakeListTotals()
        self.ports = saga.SagaPorts(
            unit_of_work=lambda: SqlUnitOfWork(engine),
            cache=cache,
            totals=totals,
            clock=FixedClock(),
            publisher=self.queues,
        )
        breaker = SharedCircuitBreaker(breaker_name, BREAKER, redis)
        self.gateway = HttpPaymentProvider(
            provider_url, lambda: LOCAL_API_KEY, timeouts=TIMEOUTS, retries=RETRIES, breaker=breaker
        )
        self.order_ports = OrderPorts(
            unit_of_work=lambda: SqlUnitOfWork(engine),
            totals=totals,
            cache=cache,
            clock=FixedClock(),
            publisher=self.queues,
        )
        self.notifier = FakeNotifier()
        notifications = NotificationPorts(lambda: SqlUnitOfWork(engine), self.notifier, FixedClock())
        bootstrap.provide(saga=self.ports, payments=self.gateway, notifications=notifications)
        import notifications.send_notification as send_notification  # the functions, as Lambda loads them
        import orders.process_order as process_order
        import orders.process_payment as process_payment

        self.handlers = {
            Queue.ORDER_PROCESSING: process_order.handler,
            Queue.PAYMENT: process_payment.handler,
            Queue.NOTIFICATION: send_notification.handler,
        }

    def deliver(self, queue: Queue, messages: list[Envelope]) -> set[str]:
        """One invocation of the queue's consumer with ``messages``; the ids it reported failed."""
        if not messages:
            return set()
        received = [
            {
                "MessageId": f"{m.id}-{uuid4().hex[:6]}",
                "ReceiptHandle": uuid4().hex,
                "MD5OfBody": "",
                "Body": m.to_json(),
                "Attributes": {"ApproximateReceiveCount": "1"},
            }
            for m in messages
        ]
        result = self.handlers[queue](sqs_event(received, queue_arn(f"storefront-test-{queue}")), LambdaContext("t"))
        return {item["itemIdentifier"] for item in result["batchItemFailures"]}

    def drain(self, queue: Queue, times: int = 1, batch: int = 10) -> int:
        """Deliver what was sent to ``queue``, each message ``times`` times (in separate invocations)."""
        messages = self.queues.take(queue)
        for _ in range(times):
            for start in range(0, len(messages), batch):
                assert self.deliver(queue, messages[start : start + batch]) == set()
        return len(messages)


@pytest.fixture
def pipeline(pg: Engine, provider: ServedProvider, redis_client: Redis) -> Iterator[Pipeline]:
    name = f"saga-{uuid.uuid4().hex}"
    built = Pipeline(pg, provider.url, redis_client, name)
    yield built
    bootstrap.reset()
    redis_client.delete(PREFIX + name)


def buyer(tenant_id: UUID, engine: Engine | None = None) -> Principal:
    """A buyer; with ``engine`` a stored account too (the notification consumer emails its address)."""
    if engine is None:
        return Principal(user_id=str(uuid4()), username="bo", role=Role.USER, tenant_id=tenant_id)
    name = f"b{uuid4().hex[:10]}"
    identity = Identity(f"{name}@example.com", name, "Bo <Buyer>")
    user = User.create(tenant_id, identity, "hash", None, FixedClock().now())
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(user)
        uow.commit()
    return Principal(user_id=str(user.id), username=name, role=Role.USER, tenant_id=tenant_id)


def product(engine: Engine, tenant: UUID, stock: int) -> Product:
    made = Product.create(tenant, details(sku=f"S-{uuid4().hex[:10]}", stock=stock), "admin", FixedClock().now())
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(made)
        uow.commit()
    return made


def place(p: Pipeline, who: Principal, item: Product, quantity: int = 1, token: str = "tok_approve") -> Order:  # noqa: S107 - a payment token of the contract
    request = NewOrder((OrderLine(item.id, quantity),), ADDRESS, token)
    return orders.create_order(p.order_ports, stored_account(p.engine, who), request)


def stock_of(engine: Engine, product_id: UUID) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(PRODUCTS.c.STOCK).where(PRODUCTS.c.ID == product_id)).scalar_one())


def stored(engine: Engine, order: Order) -> Order:
    with SqlUnitOfWork(engine) as uow:
        found = uow.orders.get(order.tenant_id, order.id)
    assert found is not None
    return found


def charges_recorded(engine: Engine, order_ids: list[UUID]) -> int:
    with engine.connect() as connection:
        statement = select(func.count()).where(PAYMENT_RECORDS.c.ORDER_ID.in_(order_ids))
        return int(connection.execute(statement).scalar_one())


def test_fifty_concurrent_buyers_of_ten_units_make_ten_confirmed_and_forty_failed(pipeline, pg, provider):
    tenant = uuid4()
    item = product(pg, tenant, stock=10)
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:  # the committed stock, read over and over while the buyers race
        while not done.is_set():
            seen.append(stock_of(pg, item.id))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(max_workers=10) as pool:
        placed = list(pool.map(lambda _: place(pipeline, buyer(tenant), item), range(50)))
        placements = pipeline.queues.take(Queue.ORDER_PROCESSING)
        assert len(placements) == 50
        # 50 consumers at once, one message each: every reservation races for the same product row.
        failures = list(pool.map(lambda m: pipeline.deliver(Queue.ORDER_PROCESSING, [m]), placements))
        assert all(f == set() for f in failures)
        charges = pipeline.queues.take(Queue.PAYMENT)
        assert len(charges) == 10
        failures = list(pool.map(lambda m: pipeline.deliver(Queue.PAYMENT, [m]), charges))
        assert all(f == set() for f in failures)
    done.set()
    watcher.join()
    statuses = [stored(pg, o).status for o in placed]
    assert statuses.count(OrderStatus.CONFIRMED) == 10
    assert statuses.count(OrderStatus.FAILED) == 40
    assert stock_of(pg, item.id) == 0
    assert seen
    assert min(seen) >= 0, "never negative"
    for order in placed:
        again = stored(pg, order)
        assert replay(again.history).status is again.status
        made = provider.provider.made(charge_key(order.id))
        assert made == (1 if again.status is OrderStatus.CONFIRMED else 0), "only reserved orders are charged"
    notices = pipeline.queues.types(Queue.NOTIFICATION)
    assert notices.count("order.confirmed") == 10
    assert notices.count("order.failed") == 40


def test_every_message_delivered_three_times_charges_once_moves_stock_once_and_notifies_once(pipeline, pg, provider):
    tenant = uuid4()
    item = product(pg, tenant, stock=20)
    placed = [place(pipeline, buyer(tenant), item, 2) for _ in range(5)]
    declined = place(pipeline, buyer(tenant), item, 3, token="tok_decline")
    assert pipeline.drain(Queue.ORDER_PROCESSING, times=3) == 6
    assert stock_of(pg, item.id) == 20 - 5 * 2 - 3
    charges = pipeline.queues.take(Queue.PAYMENT)
    assert len(charges) == 6, "one charge request per order, however often order.placed came"
    # Three deliveries of each charge request at the same time (three containers), then three more in turn.
    with ThreadPoolExecutor(max_workers=3) as pool:
        for message in charges:
            results = list(pool.map(pipeline.deliver, [Queue.PAYMENT] * 3, [[message]] * 3))
            assert results == [set(), set(), set()]
    for _ in range(3):
        assert pipeline.deliver(Queue.PAYMENT, charges) == set()
    for order in placed:
        assert stored(pg, order).status is OrderStatus.CONFIRMED
        assert stored(pg, order).payment_status is PaymentStatus.CAPTURED
        assert provider.provider.made(charge_key(order.id)) == 1
    assert stored(pg, declined).status is OrderStatus.FAILED
    assert stock_of(pg, item.id) == 20 - 5 * 2, "the declined order's stock came back once"
    assert charges_recorded(pg, [o.id for o in [*placed, declined]]) == 6
    notices = pipeline.queues.types(Queue.NOTIFICATION)
    assert sorted(notices) == sorted(["order.confirmed"] * 5 + ["order.failed"])


def test_a_cancelled_paid_order_is_refunded_once_however_often_the_refund_is_asked(pipeline, pg, provider):
    tenant = uuid4()
    item = product(pg, tenant, stock=5)
    who = buyer(tenant)
    order = place(pipeline, who, item, 2)
    pipeline.drain(Queue.ORDER_PROCESSING)
    pipeline.drain(Queue.PAYMENT)
    orders.cancel_order(pipeline.order_ports, who, order.id, None)
    assert stock_of(pg, item.id) == 5
    assert pipeline.drain(Queue.PAYMENT, times=3) == 1
    after = stored(pg, order)
    assert (after.status, after.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
    assert provider.provider.made(f"refund:{order.id}") == 1
    assert replay(after.history).payment_status is PaymentStatus.REFUNDED


def test_a_provider_timing_out_opens_the_breaker_defers_messages_and_orders_complete_after_recovery(
    pipeline, pg, provider
):
    tenant = uuid4()
    item = product(pg, tenant, stock=10)
    placed = [place(pipeline, buyer(tenant), item) for _ in range(4)]
    pipeline.drain(Queue.ORDER_PROCESSING)
    charges = pipeline.queues.take(Queue.PAYMENT)
    provider.provider.delay_next(2 * RETRIES.max_attempts)  # the first two charges time out on every attempt
    for message in charges:
        assert pipeline.deliver(Queue.PAYMENT, [message]) == set(), "acknowledged: re-sent with a delay instead"
    deferred = pipeline.queues.take(Queue.PAYMENT)
    assert sorted(m.id for m in deferred) == sorted(m.id for m in charges), "nothing lost: every one comes back"
    assert all(delay >= 1 for delay in pipeline.queues.delays[-len(deferred) :])
    assert [stored(pg, o).status for o in placed] == [OrderStatus.RESERVED] * 4
    by_order = {UUID(m.data["order_id"]): m for m in charges}
    tried = [provider.provider.requests(charge_key(o.id)) for o in placed if o.id in by_order]
    assert tried[2:] == [0, 0], "the breaker opened after two timed-out charges: the others never reached it"
    time.sleep(BREAKER.reset_timeout_ms / 1000 + 0.2)  # the provider recovered; the breaker half-opens
    for _ in range(3):  # the deferred messages arrive (the trial call first closes the breaker)
        again = pipeline.queues.take(Queue.PAYMENT) or deferred
        deferred = []
        for message in again:
            assert pipeline.deliver(Queue.PAYMENT, [message]) == set()
    assert [stored(pg, o).status for o in placed] == [OrderStatus.CONFIRMED] * 4
    for order in placed:
        assert provider.provider.made(charge_key(order.id)) == 1, "charged once, the timed-out ones included"


def test_with_redis_down_orders_are_placed_and_processed_exactly_once(pg, provider):
    dead = Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.2, socket_timeout=0.2)
    pipeline = Pipeline(pg, provider.url, dead, f"saga-{uuid.uuid4().hex}")
    try:
        tenant = uuid4()
        item = product(pg, tenant, stock=3)
        placed = [place(pipeline, buyer(tenant), item) for _ in range(4)]
        assert pipeline.drain(Queue.ORDER_PROCESSING, times=3) == 4
        assert pipeline.drain(Queue.PAYMENT, times=3) == 3
        statuses = sorted(stored(pg, o).status for o in placed)
        assert statuses == sorted([OrderStatus.CONFIRMED] * 3 + [OrderStatus.FAILED])
        assert stock_of(pg, item.id) == 0
        assert sum(provider.provider.made(charge_key(o.id)) for o in placed) == 3
    finally:
        bootstrap.reset()


def test_each_order_notification_delivered_three_times_is_emailed_once_and_escaped(pipeline, pg):
    tenant = uuid4()
    item = product(pg, tenant, stock=1)
    first, second = buyer(tenant, pg), buyer(tenant, pg)
    confirmed = place(pipeline, first, item)
    place(pipeline, second, item)  # short of stock: fails
    pipeline.drain(Queue.ORDER_PROCESSING)
    pipeline.drain(Queue.PAYMENT)
    orders.cancel_order(pipeline.order_ports, first, confirmed.id, None)
    notices = pipeline.queues.take(Queue.NOTIFICATION)
    assert sorted(m.type for m in notices) == ["order.cancelled", "order.confirmed", "order.failed"]
    with ThreadPoolExecutor(max_workers=3) as pool:
        for message in notices:  # three containers at once, then three more deliveries in turn
            results = list(pool.map(pipeline.deliver, [Queue.NOTIFICATION] * 3, [[message]] * 3))
            # one sends; a twin that meets its fresh claim fails and comes back later (one that comes after
            # the mark finds it sent and is acknowledged)
            assert results.count(set()) >= 1
    for _ in range(3):
        assert pipeline.deliver(Queue.NOTIFICATION, notices) == set()
    sent = pipeline.notifier.sent
    assert len(sent) == 3, "one email per message"
    by_subject = {e.subject.split(" ", 3)[-1]: e for e in sent}
    assert set(by_subject) == {"is confirmed", "could not be completed", "was cancelled"}
    assert by_subject["could not be completed"].to.startswith(second.username)
    assert "out of stock" in by_subject["could not be completed"].text.replace("no longer in stock", "out of stock")
    assert "refunded" in by_subject["was cancelled"].text
    for email in sent:
        assert "Bo <Buyer>" in email.text
        assert "Bo &lt;Buyer&gt;" in email.html
        assert "<Buyer>" not in email.html


class WatchingNotifier(FakeNotifier):
    """A mail service that, while it sends, looks at NOTIFICATIONS_SENT from another connection."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[tuple[Any, Any]] = []

    def send(self, email: Any) -> None:
        with self.engine.connect() as connection:  # a transaction held open would hide an uncommitted claim
            rows = connection.execute(select(NOTIFICATIONS_SENT.c.CLAIMED_AT, NOTIFICATIONS_SENT.c.SENT_AT)).all()
        self.seen.extend((claimed, sent) for claimed, sent in rows if claimed is not None and sent is None)
        super().send(email)


def test_the_email_is_sent_outside_any_transaction_between_a_committed_claim_and_the_mark(pipeline, pg):
    """Outside pass: the consumer held its transaction (and the claimed row's lock) open across the send."""
    tenant = uuid4()
    who = buyer(tenant, pg)
    order = place(pipeline, who, product(pg, tenant, stock=1))
    pipeline.drain(Queue.ORDER_PROCESSING)
    pipeline.drain(Queue.PAYMENT)
    [notice] = pipeline.queues.take(Queue.NOTIFICATION)
    watching = WatchingNotifier(pg)
    bootstrap.provide(notifications=NotificationPorts(lambda: SqlUnitOfWork(pg), watching, FixedClock()))
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) == set()
    assert len(watching.seen) == 1, "while sending, the claim was committed and not yet marked sent"
    with pg.connect() as connection:
        row = connection.execute(
            select(NOTIFICATIONS_SENT.c.SENT_AT).where(NOTIFICATIONS_SENT.c.MESSAGE_ID == notice.id)
        ).one()
    assert row.SENT_AT is not None, "marked sent after the send"
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) == set()
    assert len(watching.sent) == 1
    assert stored(pg, order).status is OrderStatus.CONFIRMED


def test_a_claim_left_by_a_crash_before_the_mark_is_taken_over_once_abandoned_and_the_mail_is_not_lost(pipeline, pg):
    tenant = uuid4()
    who = buyer(tenant, pg)
    place(pipeline, who, product(pg, tenant, stock=1))
    pipeline.drain(Queue.ORDER_PROCESSING)
    pipeline.drain(Queue.PAYMENT)
    [notice] = pipeline.queues.take(Queue.NOTIFICATION)
    clock = FixedClock()
    with SqlUnitOfWork(pg) as uow:  # an invocation claimed it, then died before sending or marking
        uow.notifications_sent.claim_for_sending(notice.id, tenant, "OrderConfirmed", clock.now(), clock.now())
        uow.commit()
    bootstrap.provide(notifications=NotificationPorts(lambda: SqlUnitOfWork(pg), pipeline.notifier, clock))
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) != set(), "a fresh claim: it comes back later"
    assert pipeline.notifier.sent == []
    clock.advance(int(CLAIM_ABANDONED_AFTER.total_seconds()) + 1)  # longer than any invocation may run
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) == set()
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) == set()
    assert [e.to for e in pipeline.notifier.sent] == [f"{who.username}@example.com"], "sent once, not lost"


def test_a_notification_whose_email_fails_is_retried_and_then_sent_once(pipeline, pg):
    tenant = uuid4()
    who = buyer(tenant, pg)
    order = place(pipeline, who, product(pg, tenant, stock=1))
    pipeline.drain(Queue.ORDER_PROCESSING)
    pipeline.drain(Queue.PAYMENT)
    [notice] = pipeline.queues.take(Queue.NOTIFICATION)
    pipeline.notifier.down = True
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) != set(), "failed: SQS brings it back"
    pipeline.notifier.down = False
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) == set()
    assert pipeline.deliver(Queue.NOTIFICATION, [notice]) == set()
    assert [e.to for e in pipeline.notifier.sent] == [f"{who.username}@example.com"]
    assert stored(pg, order).status is OrderStatus.CONFIRMED


def test_an_admin_shipping_and_delivering_an_order_emails_its_owner_once_each(pipeline, pg):
    tenant = uuid4()
    who = buyer(tenant, pg)
    order = place(pipeline, who, product(pg, tenant, stock=1))
    pipeline.drain(Queue.ORDER_PROCESSING)
    pipeline.drain(Queue.PAYMENT)
    admin = Principal(user_id="admin-1", username="ada", role=Role.ADMIN, tenant_id=tenant)
    admin_orders.update_order(pipeline.order_ports, admin, order.id, OrderStatus.SHIPPED, "Tracking 1Z", None)
    admin_orders.update_order(pipeline.order_ports, admin, order.id, OrderStatus.DELIVERED, "Tracking 1Z", None)
    notices = pipeline.queues.take(Queue.NOTIFICATION)
    assert [m.type for m in notices] == ["order.confirmed", "order.shipped", "order.delivered"]
    for _ in range(2):
        assert pipeline.deliver(Queue.NOTIFICATION, notices) == set()
    subjects = [e.subject.split(" ", 3)[-1] for e in pipeline.notifier.sent]
    assert subjects == ["is confirmed", "has shipped", "was delivered"]
    assert all(e.to == f"{who.username}@example.com" for e in pipeline.notifier.sent)
