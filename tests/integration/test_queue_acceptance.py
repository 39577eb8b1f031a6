"""Issue 7's remaining acceptance, through real queues: moto's SQS server with the template's queues and redrive
policies, the real consumer functions invoked by the local poller with real SQS events, PostgreSQL (a schema of
this module's own, so the relay only ever sees these tests' outbox rows), Redis and the fake payment provider.

- A poison message on the real consumers' queues reaches the DLQ after maxReceiveCount receives, and the messages
  sent equal the messages processed plus those in the DLQs.
- SQS down while an order is created: the order stands, its outbox row waits, the relay publishes it once SQS is
  back, and the order completes (process_order, process_payment: CONFIRMED).
- Redis down: orders are created (Idempotency-Key path included) and processed, each delivery repeated, with no
  double charge and no double stock move.
- A tok_timeout order cancelled while its charge's outcome is unknown (the provider charged; its answer never
  arrived) ends CANCELLED and refunded, whether the provider answers charges in time again or never does: the
  charge key is sent once (no re-send every minute), the refund by that key finds the charge, refunded once.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.request import Request, urlopen
from uuid import UUID, uuid4

import pytest
from redis import Redis
from sqlalchemy import Engine, create_engine, func, select, text

from localdev.payment_provider import LOCAL_API_KEY, FakePaymentProvider, ServedProvider, serve
from localdev.poller import EventSources
from localdev.runtime import LambdaContext, load_handler
from localdev.sqs import LocalSqs, create_queues, local_sqs
from localdev.stack import free_port, migrate
from localdev.template import Function, read_api
from storefront import bootstrap
from storefront.adapters.cache.idempotency import ValidatingCachePersistenceLayer
from storefront.adapters.cache.redis_cache import RedisCache
from storefront.adapters.cache.redis_totals import RedisListTotals
from storefront.adapters.clock import SystemClock
from storefront.adapters.db.engine import build_engine
from storefront.adapters.db.tables import OUTBOX_MESSAGES, PAYMENT_RECORDS, PRODUCTS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.adapters.messaging.sqs import SqsDeadLetters, SqsPublisher
from storefront.adapters.payments.breaker import BreakerPolicy, SharedCircuitBreaker
from storefront.adapters.payments.http_provider import HttpPaymentProvider, Timeouts
from storefront.adapters.payments.retries import RetryPolicy
from storefront.application import orders, saga
from storefront.application.orders import NewOrder, OrderLine
from storefront.application.outbox import relay_outbox
from storefront.application.ports import Email, NotificationPorts, OrderPorts
from storefront.config import QueueSettings
from storefront.domain.addresses import Address
from storefront.domain.errors import ExternalError
from storefront.domain.identity import Principal, Role
from storefront.domain.orders import Order, OrderStatus, PaymentStatus
from storefront.domain.payments import charge_key, refund_key
from storefront.domain.products import Product
from storefront.domain.users import Identity, User
from storefront.messages.envelope import Envelope, Queue
from tests.conftest import details
from tests.fakes import FakeNotifier
from tests.integration.conftest import POSTGRES_URL, database_settings
from tests.unit.handlers import event, set_header

ADDRESS = Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR")
TIMEOUTS = Timeouts(connect_seconds=0.5, read_seconds=0.4)
RETRIES = RetryPolicy(
    max_attempts=2, backoff_base_seconds=0.01, backoff_max_seconds=0.05, total_seconds=2.0, attempt_seconds=0.9
)
CHARGE_GRACE = timedelta(seconds=3)  # past RETRIES.total_seconds: no charge of this test can still be in flight
BREAKER = BreakerPolicy(failure_threshold=5, reset_timeout_ms=600, probe_timeout_ms=3000)
DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers
API = read_api()
CONSUMERS = {
    "OrderProcessingQueue": API.functions["ProcessOrderFunction"],
    "PaymentQueue": API.functions["ProcessPaymentFunction"],
    "NotificationQueue": API.functions["SendNotificationFunction"],
}
DEAD_LETTER_QUEUES = ("OrderProcessingDeadLetterQueue", "PaymentDeadLetterQueue", "NotificationDeadLetterQueue")
REJECTED = "rejected"  # the mail provider refuses every address starting so (a poison for the notification queue)


# --- fixtures -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def own_schema() -> Iterator[str]:
    """A migrated PostgreSQL schema of this module's own: the relay claims every unpublished row it can see."""
    admin = create_engine(POSTGRES_URL)
    schema = f"storefront_queues_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    migrate(url)
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def pg(own_schema: str) -> Iterator[Engine]:
    built = build_engine(own_schema, database_settings(own_schema).model_copy(update={"db_pool_max": 10}))
    yield built
    built.dispose()


@pytest.fixture(scope="module")
def provider() -> Iterator[ServedProvider]:
    with serve(FakePaymentProvider(slow_seconds=1.5)) as served:
        yield served


@pytest.fixture
def sqs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_schema: str, provider: ServedProvider
) -> Iterator[LocalSqs]:
    """moto's server with the template's queues (visibility 1 s: failed messages come back quickly), and what
    the consumer functions read at import."""
    monkeypatch.setenv("SQS_VISIBILITY_TIMEOUT", "1")
    monkeypatch.setenv("DATABASE_URL", own_schema)
    monkeypatch.setenv("PAYMENT_PROVIDER_URL", provider.url)
    monkeypatch.setenv("PAYMENT_PROVIDER_API_KEY", LOCAL_API_KEY)
    with local_sqs(API, tmp_path) as running:
        urlopen(Request(f"{running.endpoint}/moto-api/reset", method="POST"), timeout=5).close()  # noqa: S310
        create_queues(running.client(), API.queues, visibility=1)
        for name, value in running.environment(API).items():
            monkeypatch.setenv(name, value)
        yield running
    bootstrap.reset()


class RejectingNotifier(FakeNotifier):
    """A mail provider that refuses some addresses every time (SES's MessageRejected), others it sends."""

    def send(self, email: Email) -> None:
        if email.to.startswith(REJECTED):
            raise ExternalError("The email was rejected")
        super().send(email)


class CountingPublisher(SqsPublisher):
    """The SQS publisher, counting the messages each queue accepted (the "messages in" of the acceptance);
    with ``copies`` every message is sent that many times, as an at-least-once queue may deliver it."""

    def __init__(self, settings: QueueSettings, copies: int = 1) -> None:
        super().__init__(settings)
        self.copies = copies
        self.accepted: dict[Queue, int] = {}

    def publish(self, queue: Queue, messages: Sequence[Envelope], delay_seconds: int = 0) -> list[UUID]:
        refused: list[UUID] = []
        for _ in range(self.copies):
            refused = super().publish(queue, messages, delay_seconds)
            self.accepted[queue] = self.accepted.get(queue, 0) + len(messages) - len(refused)
        return refused


class PromptPublisher(CountingPublisher):
    """The SQS publisher with a deferred message's delay cut to 1 s (the saga asks a minute), so a test need not
    wait a minute for it to come back. SQS's DelaySeconds itself is honoured by moto."""

    def publish(self, queue: Queue, messages: Sequence[Envelope], delay_seconds: int = 0) -> list[UUID]:
        return super().publish(queue, messages, min(delay_seconds, 1))


@dataclass
class Shop:
    """The consumers' ports, provided to the real functions, and the order ports a buyer places orders with."""

    engine: Engine
    publisher: CountingPublisher
    notifier: RejectingNotifier
    order_ports: OrderPorts
    gateway: HttpPaymentProvider


def open_shop(engine: Engine, provider_url: str, redis: Redis, publisher: CountingPublisher, **more: object) -> Shop:
    """Provide the consumers' ports (and ``more`` adapters) to the functions, as bootstrap would build them; a
    cancelled order's unknown charge is probed after CHARGE_GRACE (longer than RETRIES' total)."""
    cache, totals = RedisCache(redis), RedisListTotals(redis, ttl_seconds=60)
    breaker = SharedCircuitBreaker(f"queues-{uuid4().hex}", BREAKER, redis)
    gateway = HttpPaymentProvider(
        provider_url, lambda: LOCAL_API_KEY, timeouts=TIMEOUTS, retries=RETRIES, breaker=breaker
    )

    def unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    ports = saga.SagaPorts(
        unit_of_work=unit_of_work,
        cache=cache,
        totals=totals,
        clock=SystemClock(),
        publisher=publisher,
        charge_grace=CHARGE_GRACE,
    )
    order_ports = OrderPorts(
        unit_of_work=unit_of_work, totals=totals, cache=cache, clock=SystemClock(), publisher=publisher
    )
    notifier = RejectingNotifier()
    bootstrap.provide(
        saga=ports,
        payments=gateway,
        orders=order_ports,
        notifications=NotificationPorts(unit_of_work, notifier, SystemClock()),
        dead_letters=SqsDeadLetters(QueueSettings()),
        publisher=publisher,
        **more,
    )
    return Shop(engine, publisher, notifier, order_ports, gateway)


# --- helpers ------------------------------------------------------------------------------------------------
def buyer(engine: Engine, tenant_id: UUID, prefix: str = "b") -> Principal:
    name = f"{prefix}{uuid4().hex[:10]}"
    user = User.create(tenant_id, Identity(f"{name}@example.com", name, "Bo Buyer"), "hash", None, SystemClock().now())
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(user)
        uow.commit()
    return Principal(user_id=str(user.id), username=name, role=Role.USER, tenant_id=tenant_id)


def product(engine: Engine, tenant: UUID, stock: int) -> Product:
    made = Product.create(tenant, details(sku=f"S-{uuid4().hex[:10]}", stock=stock), "admin", SystemClock().now())
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(made)
        uow.commit()
    return made


def place(ports: OrderPorts, who: Principal, item: Product, quantity: int = 1, token: str = "tok_approve") -> Order:  # noqa: S107 - a contract payment token
    return orders.create_order(ports, who, NewOrder((OrderLine(item.id, quantity),), ADDRESS, token))


def stored(engine: Engine, order_id: UUID, tenant_id: UUID) -> Order:
    with SqlUnitOfWork(engine) as uow:
        found = uow.orders.get(tenant_id, order_id)
    assert found is not None
    return found


def stock_of(engine: Engine, product_id: UUID) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(PRODUCTS.c.STOCK).where(PRODUCTS.c.ID == product_id)).scalar_one())


def payment_rows(engine: Engine, order_ids: Sequence[UUID]) -> int:
    with engine.connect() as connection:
        statement = select(func.count()).where(PAYMENT_RECORDS.c.ORDER_ID.in_(order_ids))
        return int(connection.execute(statement).scalar_one())


def depth(sqs: LocalSqs, logical_id: str) -> int:
    attributes = sqs.client().get_queue_attributes(
        QueueUrl=sqs.urls[logical_id],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def run_consumers(sqs: LocalSqs, seconds: float = 60) -> int:
    """Poll the three consumer queues, as Lambda's pollers do, until all have been empty for 2.5 s (failed
    messages come back after the 1 s visibility timeout); the number of messages acknowledged."""
    poller = EventSources(CONSUMERS.values(), API.queues, sqs.urls, sqs.client())
    deadline, quiet_since, acknowledged = time.monotonic() + seconds, None, 0
    while time.monotonic() < deadline:
        received = 0
        for function in CONSUMERS.values():
            function_: Function = function
            outcome = poller.poll_once(function_, function_.sqs[0], wait_seconds=0)
            received += outcome.received
            acknowledged += outcome.deleted
        if received:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 2.5:
            return acknowledged
        time.sleep(0.05)
    raise AssertionError("the consumers did not drain their queues in time")


# --- acceptance ---------------------------------------------------------------------------------------------
def test_a_poison_message_reaches_the_dlq_after_max_receive_count_and_messages_in_equal_processed_plus_dlq(
    sqs, pg, provider, redis_client
):
    shop = open_shop(pg, provider.url, redis_client, CountingPublisher(QueueSettings()))
    tenant = uuid4()
    item = product(pg, tenant, stock=10)
    good = [place(shop.order_ports, buyer(pg, tenant), item) for _ in range(3)]
    poisoned = place(shop.order_ports, buyer(pg, tenant, prefix=REJECTED), item)  # its email is refused every time
    acknowledged = run_consumers(sqs)
    for order in [*good, poisoned]:
        assert stored(pg, order.id, tenant).status is OrderStatus.CONFIRMED
    assert len(shop.notifier.sent) == 3, "the three good orders emailed once each"
    assert [depth(sqs, q) for q in CONSUMERS] == [0, 0, 0]
    assert [depth(sqs, q) for q in DEAD_LETTER_QUEUES] == [0, 0, 1]
    [dead] = sqs.client().receive_message(QueueUrl=sqs.urls["NotificationDeadLetterQueue"], AttributeNames=["All"])[
        "Messages"
    ]
    assert int(dead["Attributes"]["ApproximateReceiveCount"]) >= 5, "received maxReceiveCount times, then moved"
    assert Envelope.model_validate_json(dead["Body"]).data == {"order_id": str(poisoned.id)}
    messages_in = sum(shop.publisher.accepted.values())
    assert messages_in == 4 * 3  # each order: order.placed, payment.charge_requested, order.confirmed
    assert messages_in == acknowledged + sum(depth(sqs, q) for q in DEAD_LETTER_QUEUES)


def test_sqs_down_during_create_the_order_stands_and_the_relay_publishes_it_after_recovery(
    sqs, pg, provider, redis_client
):
    dead_endpoint = QueueSettings().model_copy(update={"aws_endpoint_url_sqs": f"http://127.0.0.1:{free_port()}"})
    down = open_shop(pg, provider.url, redis_client, CountingPublisher(dead_endpoint))
    tenant = uuid4()
    item = product(pg, tenant, stock=5)
    order = place(down.order_ports, buyer(pg, tenant), item, 2)  # no error: the order stands
    assert stored(pg, order.id, tenant).status is OrderStatus.PENDING
    with pg.connect() as connection:
        waiting = (
            connection.execute(select(OUTBOX_MESSAGES.c.ID).where(OUTBOX_MESSAGES.c.PUBLISHED_AT.is_(None)))
            .scalars()
            .all()
        )
    assert len(waiting) == 1, "the order.placed row waits in the outbox"
    assert depth(sqs, "OrderProcessingQueue") == 0
    # SQS is back: the scheduled relay publishes the row, and the consumers take the order to CONFIRMED.
    up = open_shop(pg, provider.url, redis_client, CountingPublisher(QueueSettings()))
    report = relay_outbox(lambda: SqlUnitOfWork(pg), up.publisher, SystemClock(), grace=timedelta(0))
    assert (report.claimed, report.published, report.failed) == (1, 1, 0)
    assert relay_outbox(lambda: SqlUnitOfWork(pg), up.publisher, SystemClock(), grace=timedelta(0)).claimed == 0
    run_consumers(sqs)
    assert stored(pg, order.id, tenant).status is OrderStatus.CONFIRMED
    assert stock_of(pg, item.id) == 3
    assert provider.provider.made(charge_key(order.id)) == 1
    assert len(up.notifier.sent) == 1


def test_with_redis_down_a_keyed_order_is_refused_and_unkeyed_orders_are_processed_exactly_once(
    sqs, pg, provider, monkeypatch
):
    """Idempotency fails closed (new-user pass, issue 8): with the store down a keyed order is 503 SYS_003 and
    writes nothing (it used to run unchecked, so a retry placed and charged it twice); without a key it is
    placed, and every message delivered three times still takes stock and charges once."""
    dead = Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.2, socket_timeout=0.2)
    idempotency = ValidatingCachePersistenceLayer(client=cast(Any, dead))
    open_shop(pg, provider.url, dead, CountingPublisher(QueueSettings(), copies=3), idempotency=idempotency)
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    tenant = uuid4()
    item = product(pg, tenant, stock=3)
    create = load_handler("orders.create_order.handler")
    placed: list[UUID] = []
    for n in range(4):
        who = buyer(pg, tenant)
        evt = event("orders/create_order.json", body=order_body(item.id))
        authorizer = evt["requestContext"]["authorizer"]
        authorizer["sub"] = authorizer["principalId"] = who.user_id
        authorizer["tenant_id"] = str(tenant)
        evt["requestContext"]["requestId"] = str(uuid4())
        keyed = set_header(copy.deepcopy(evt), "Idempotency-Key", f"redis-down-{n}")
        refused = create(keyed, LambdaContext("t"))
        assert (refused["statusCode"], json.loads(refused["body"])["error"]["code"]) == (503, "SYS_003")
        answer = create(without_idempotency_key(evt), LambdaContext("t"))
        assert answer["statusCode"] == 201, answer["body"]
        placed.append(UUID(json_data(answer)["id"]))
    publisher = cast("CountingPublisher", bootstrap.message_publisher())
    run_consumers(sqs)  # every message is on its queue three times: delivered three times
    statuses = sorted(stored(pg, o, tenant).status for o in placed)
    assert statuses == sorted([OrderStatus.CONFIRMED] * 3 + [OrderStatus.FAILED])
    assert stock_of(pg, item.id) == 0, "three units taken once each, never more"
    assert sum(provider.provider.made(charge_key(o)) for o in placed) == 3, "charged once each"
    assert payment_rows(pg, placed) == 3
    # 4 order.placed, 3 payment.charge_requested, 3 order.confirmed + 1 order.failed: each sent three times
    assert publisher.accepted == {Queue.ORDER_PROCESSING: 12, Queue.PAYMENT: 9, Queue.NOTIFICATION: 12}
    bootstrap.reset()


def without_idempotency_key(evt: dict[str, Any]) -> dict[str, Any]:
    """The sample event without the Idempotency-Key it carries (in both header maps, any spelling)."""
    for headers in (evt["headers"], evt["multiValueHeaders"]):
        for name in [n for n in headers if n.lower() == "idempotency-key"]:
            del headers[name]
    return evt


def order_body(product_id: UUID) -> dict[str, Any]:
    return {
        "items": [{"product_id": str(product_id), "quantity": 1}],
        "shipping_address": {
            "line1": ADDRESS.line1,
            "city": ADDRESS.city,
            "postal_code": ADDRESS.postal_code,
            "country": ADDRESS.country,
        },
        "payment_token": "tok_approve",
    }


def json_data(answer: dict[str, Any]) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(answer["body"])["data"]
    return data


@pytest.mark.parametrize("provider_recovers", [True, False])
def test_a_tok_timeout_order_cancelled_while_its_charge_is_unknown_ends_refunded_charged_once_refunded_once(
    sqs, pg, redis_client, provider_recovers
):
    """Outside pass (issue 7): the provider charged, its answer never arrived (tok_timeout), the buyer cancelled
    meanwhile. The deferred charge message used to re-send ``charge:<id>`` every minute forever when the provider
    never answered in time; now, past the grace period, the refund by the charge's key settles it, and stops."""
    with serve(FakePaymentProvider(slow_seconds=1.5)) as slow:
        shop = open_shop(pg, slow.url, redis_client, PromptPublisher(QueueSettings()))
        tenant = uuid4()
        item = product(pg, tenant, stock=5)
        who = buyer(pg, tenant)
        order = place(shop.order_ports, who, item, 2, token="tok_timeout")
        poller = EventSources(CONSUMERS.values(), API.queues, sqs.urls, sqs.client())
        process_order, process_payment = CONSUMERS["OrderProcessingQueue"], CONSUMERS["PaymentQueue"]
        assert poller.poll_once(process_order, process_order.sqs[0], wait_seconds=1).deleted == 1  # RESERVED
        # The charge: made by the provider, but every answer comes after the read timeout; the message is
        # acknowledged and sent again with a delay (the outcome is unknown).
        assert poller.poll_once(process_payment, process_payment.sqs[0], wait_seconds=1).deleted == 1
        assert slow.provider.made(charge_key(order.id)) == 1
        asked = slow.provider.requests(charge_key(order.id))  # the adapter's own retries of that one attempt
        reserved = stored(pg, order.id, tenant)
        assert (reserved.status, reserved.payment_status) == (OrderStatus.RESERVED, PaymentStatus.PENDING)
        cancelled = orders.cancel_order(shop.order_ports, who, order.id, None)
        assert (cancelled.status, cancelled.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.PENDING)
        if provider_recovers:
            slow.provider.slow_seconds = 0.0  # charges are answered in time again (the saga asks none)
        started = time.monotonic()
        run_consumers(sqs)
        after = stored(pg, order.id, tenant)
        assert (after.status, after.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
        assert time.monotonic() - started < 30, "settled within seconds of the grace period"
        assert slow.provider.made(charge_key(order.id)) == 1, "charged once"
        assert slow.provider.requests(charge_key(order.id)) == asked, "the charge key was never re-sent"
        assert slow.provider.made(refund_key(order.id)) == 1, "refunded once"
        [refund] = slow.provider.ledger()["refunds"]
        assert (refund["status"], refund["amount"]) == ("refunded", str(order.total.amount))
        assert stock_of(pg, item.id) == 5, "the cancellation gave the stock back, once"
        assert payment_rows(pg, [order.id]) == 1  # the refund (the charge's answer never came)
        assert [depth(sqs, q) for q in DEAD_LETTER_QUEUES] == [0, 0, 0]
        assert depth(sqs, "PaymentQueue") == 0, "nothing more is re-sent"
        assert [e.detail for e in after.history][-1] == "charged before the cancellation: refunded"
    bootstrap.reset()
