"""The order saga's steps (application/saga.py) against the fakes: what each step does from each state, as rule
tables, and that a repeat, a race with a cancellation, a provider outage or a queue outage never moves stock,
charges or announces twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from storefront.application import orders, saga
from storefront.application.orders import NewOrder, OrderLine
from storefront.application.products import cache_key as product_cache_key
from storefront.application.products import totals_scope as product_totals_scope
from storefront.application.saga import SagaPorts, Step
from storefront.domain.addresses import Address
from storefront.domain.errors import AppError, ExternalTimeout, ExternalUnavailable
from storefront.domain.identity import Principal, Role
from storefront.domain.orders import Order, OrderStatus, PaymentStatus, replay
from storefront.domain.payments import PaymentKind, PaymentOutcome, PaymentResult, charge_key, refund_key
from storefront.domain.products import Product
from storefront.messages.envelope import Envelope, Queue, envelope
from storefront.messages.orders import ChargeRequested
from storefront.observability import metrics
from tests.conftest import details
from tests.fakes import FakeOrders, FakePaymentGateway, FakePublisher

ADDRESS = Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR")


@pytest.fixture
def shop() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def gateway() -> FakePaymentGateway:
    return FakePaymentGateway()


def ports(shop: FakeOrders, publisher: FakePublisher | None = None) -> SagaPorts:
    return SagaPorts(shop.unit_of_work, shop.cache, shop.totals, shop.clock, publisher or shop.publisher)


def product(shop: FakeOrders, tenant: UUID, stock: int) -> Product:
    made = Product.create(tenant, details(sku=f"S-{uuid4().hex[:8]}", stock=stock), "admin", shop.clock.now())
    shop.state.products[made.id] = made
    return made


def placed(shop: FakeOrders, lines: list[tuple[Product, int]], token: str = "tok_approve") -> tuple[Order, Principal]:  # noqa: S107
    who = shop.account(Principal(user_id=str(uuid4()), username="bo", role=Role.USER, tenant_id=lines[0][0].tenant_id))
    order = orders.create_order(shop.ports, who, NewOrder(tuple(OrderLine(p.id, q) for p, q in lines), ADDRESS, token))
    shop.publisher.sent.clear()
    return order, who


def set_stock(shop: FakeOrders, item: Product, stock: int) -> None:
    """Another buyer took units since the order was placed (placement checks the stock of its moment)."""
    current = shop.state.products[item.id]
    shop.state.products[item.id] = replace(current, details=replace(current.details, stock=stock))


def stock_of(shop: FakeOrders, item: Product) -> int:
    return shop.state.products[item.id].details.stock


def sent_types(shop: FakeOrders) -> list[str]:
    return [m.type for _, m in shop.publisher.sent]


def now_of(shop: FakeOrders) -> Order:
    (order,) = shop.state.orders.values()
    return order


# --- reserve_order ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stock", "quantity", "step", "status", "stock_after", "announced"),
    [
        (5, 2, Step.RESERVED, OrderStatus.RESERVED, 3, ["payment.charge_requested"]),
        (2, 2, Step.RESERVED, OrderStatus.RESERVED, 0, ["payment.charge_requested"]),  # the last units
        (1, 2, Step.FAILED, OrderStatus.FAILED, 1, ["order.failed"]),  # short: nothing taken
        (0, 1, Step.FAILED, OrderStatus.FAILED, 0, ["order.failed"]),
    ],
)
def test_reserve_order_takes_the_stock_or_fails_the_order_with_nothing_taken(
    shop, tenant, stock, quantity, step, status, stock_after, announced
):
    item = product(shop, tenant, 10)
    order, _ = placed(shop, [(item, quantity)])
    set_stock(shop, item, stock)
    assert saga.reserve_order(ports(shop), tenant, order.id) is step
    after = now_of(shop)
    assert (after.status, stock_of(shop, item), sent_types(shop)) == (status, stock_after, announced)
    assert replay(after.history).status is status
    assert all(row.published_at is not None for row in shop.state.outbox.values())


@pytest.mark.parametrize("before", ["reserved", "failed", "cancelled", "missing", "other tenant"])
def test_reserve_order_skips_an_order_past_pending_missing_or_of_another_tenant(shop, tenant, before):
    item = product(shop, tenant, 5)
    order, who = placed(shop, [(item, 2)])
    asked_tenant, asked_order = tenant, order.id
    if before == "reserved":
        saga.reserve_order(ports(shop), tenant, order.id)
    elif before == "failed":
        set_stock(shop, item, 0)
        saga.reserve_order(ports(shop), tenant, order.id)
    elif before == "cancelled":
        orders.cancel_order(shop.ports, who, order.id, None)
    elif before == "missing":
        asked_order = uuid4()
    else:
        asked_tenant = uuid4()
    shop.publisher.sent.clear()
    stock, status = stock_of(shop, item), now_of(shop).status
    assert saga.reserve_order(ports(shop), asked_tenant, asked_order) is Step.SKIPPED
    assert (stock_of(shop, item), now_of(shop).status, shop.publisher.sent) == (stock, status, [])


def test_reserve_order_delivered_three_times_moves_stock_once(shop, tenant):
    item = product(shop, tenant, 5)
    order, _ = placed(shop, [(item, 2)])
    steps = [saga.reserve_order(ports(shop), tenant, order.id) for _ in range(3)]
    assert steps == [Step.RESERVED, Step.SKIPPED, Step.SKIPPED]
    assert (stock_of(shop, item), sent_types(shop)) == (3, ["payment.charge_requested"])


def test_one_short_line_takes_nothing_from_any_line(shop, tenant):
    plenty, scarce = product(shop, tenant, 10), product(shop, tenant, 2)
    order, _ = placed(shop, [(plenty, 3), (scarce, 2)])
    set_stock(shop, scarce, 1)
    assert saga.reserve_order(ports(shop), tenant, order.id) is Step.FAILED
    assert (stock_of(shop, plenty), stock_of(shop, scarce)) == (10, 1)
    assert shop.publisher.sent[0][1].data == {"order_id": str(order.id), "reason": "out_of_stock"}


def test_with_the_queue_down_the_step_commits_and_its_message_waits_in_the_outbox(shop, tenant):
    item = product(shop, tenant, 5)
    order, _ = placed(shop, [(item, 1)])
    shop.publisher.down = True
    assert saga.reserve_order(ports(shop), tenant, order.id) is Step.RESERVED
    waiting = [row for row in shop.state.outbox.values() if row.published_at is None]
    assert [row.message.type for row in waiting] == ["payment.charge_requested"]
    assert now_of(shop).status is OrderStatus.RESERVED


# --- charge_order -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "step", "status", "payment", "stock_after", "announced"),
    [
        ("tok_approve", Step.CONFIRMED, OrderStatus.CONFIRMED, PaymentStatus.CAPTURED, 3, ["order.confirmed"]),
        ("tok_decline", Step.FAILED, OrderStatus.FAILED, PaymentStatus.DECLINED, 5, ["order.failed"]),  # stock back
    ],
)
def test_charge_order_settles_a_reserved_order(
    shop, tenant, gateway, token, step, status, payment, stock_after, announced
):
    item = product(shop, tenant, 5)
    order, _ = placed(shop, [(item, 2)], token)
    saga.reserve_order(ports(shop), tenant, order.id)
    shop.publisher.sent.clear()
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is step
    after = now_of(shop)
    assert (after.status, after.payment_status, stock_of(shop, item)) == (status, payment, stock_after)
    assert sent_types(shop) == announced
    assert (replay(after.history).status, replay(after.history).payment_status) == (status, payment)
    assert gateway.calls == [charge_key(order.id)]
    assert shop.state.payments[(order.id, PaymentKind.CHARGE)].provider_ref == "ch_1"


@pytest.mark.parametrize("before", ["pending", "confirmed", "failed", "cancelled before the charge"])
def test_charge_order_skips_without_charging_an_order_that_is_not_reserved_and_unpaid(shop, tenant, gateway, before):
    item = product(shop, tenant, 5)
    order, who = placed(shop, [(item, 1)], "tok_decline" if before == "failed" else "tok_approve")
    if before != "pending":
        saga.reserve_order(ports(shop), tenant, order.id)
    if before in ("confirmed", "failed"):
        saga.charge_order(ports(shop), gateway, tenant, order.id)
    if before == "cancelled before the charge":
        orders.cancel_order(shop.ports, who, order.id, None)
    stock = stock_of(shop, item)
    gateway.calls.clear()
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is Step.SKIPPED
    assert (gateway.calls, stock_of(shop, item)) == ([], stock)


def test_a_charge_request_delivered_three_times_charges_and_announces_once(shop, tenant, gateway):
    item = product(shop, tenant, 5)
    order, _ = placed(shop, [(item, 2)])
    saga.reserve_order(ports(shop), tenant, order.id)
    shop.publisher.sent.clear()
    steps = [saga.charge_order(ports(shop), gateway, tenant, order.id) for _ in range(3)]
    assert steps == [Step.CONFIRMED, Step.SKIPPED, Step.SKIPPED]
    assert (len(gateway.charges), sent_types(shop), stock_of(shop, item)) == (1, ["order.confirmed"], 3)


def test_a_charge_that_lands_after_a_cancellation_is_refunded(shop, tenant, gateway):
    item = product(shop, tenant, 5)
    order, who = placed(shop, [(item, 2)])
    saga.reserve_order(ports(shop), tenant, order.id)
    gateway.during_charge = lambda: orders.cancel_order(shop.ports, who, order.id, None)
    shop.publisher.sent.clear()
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is Step.REFUND_REQUESTED
    after = now_of(shop)
    assert (after.status, after.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUND_REQUESTED)
    assert "payment.refund_requested" in sent_types(shop)
    assert stock_of(shop, item) == 5, "the cancellation gave the stock back, once"
    gateway.during_charge = None
    assert saga.refund_order(ports(shop), gateway, tenant, order.id) is Step.REFUNDED
    assert now_of(shop).payment_status is PaymentStatus.REFUNDED


def cancelled_after_an_unanswered_charge(shop, tenant, gateway, token="tok_timeout", charged=True):  # noqa: S107
    """An order whose charge attempt got no answer (the provider charged, or not), cancelled meanwhile."""
    item = product(shop, tenant, 5)
    order, who = placed(shop, [(item, 2)], token)
    saga.reserve_order(ports(shop), tenant, order.id)
    if charged:
        declined = token == "tok_decline"
        outcome = PaymentOutcome.DECLINED if declined else PaymentOutcome.APPROVED
        gateway.charges[charge_key(order.id)] = PaymentResult(outcome, "ch_lost", "card_declined" if declined else None)
    gateway.failure = ExternalTimeout()  # its answer never arrived
    with pytest.raises(ExternalTimeout):
        saga.charge_order(ports(shop), gateway, tenant, order.id)
    orders.cancel_order(shop.ports, who, order.id, None)
    assert (now_of(shop).status, now_of(shop).payment_status) == (OrderStatus.CANCELLED, PaymentStatus.PENDING)
    gateway.failure = None
    return order, item


@pytest.mark.parametrize(
    ("token", "charged", "step", "payment", "refunds"),
    [
        ("tok_timeout", True, Step.REFUNDED, PaymentStatus.REFUNDED, 1),  # charged: the money goes back
        ("tok_decline", True, Step.SETTLED, PaymentStatus.DECLINED, 0),  # declined: nothing was taken
        ("tok_timeout", False, Step.SETTLED, PaymentStatus.DECLINED, 0),  # never reached the provider
    ],
)
def test_a_cancelled_order_s_unanswered_charge_is_resolved_by_a_refund_by_key_never_a_second_charge(
    shop, tenant, gateway, token, charged, step, payment, refunds
):
    """Outside pass: the deferred charge message re-sent ``charge:<id>`` every minute forever. Now the charge key
    is sent once; after the grace period the refund by that key tells what became of it."""
    order, item = cancelled_after_an_unanswered_charge(shop, tenant, gateway, token, charged)
    with pytest.raises(saga.ChargeProbeNotDue) as early:  # the charge may still be in flight: wait, ask nothing
        saga.charge_order(ports(shop), gateway, tenant, order.id)
    assert early.value.retry_after == int(saga.CHARGE_GRACE.total_seconds())
    shop.clock.advance(int(saga.CHARGE_GRACE.total_seconds()))
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is step
    after = now_of(shop)
    assert (after.status, after.payment_status) == (OrderStatus.CANCELLED, payment)
    assert gateway.calls == [charge_key(order.id), refund_key(order.id)], "the charge key asked once, never again"
    assert [r.outcome for r in gateway.refunds.values()].count("refunded") == refunds
    assert shop.state.payments[(order.id, PaymentKind.REFUND)].outcome == ("refunded" if refunds else "declined")
    assert (replay(after.history).payment_status, stock_of(shop, item)) == (payment, 5)
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is Step.SKIPPED
    assert saga.refund_order(ports(shop), gateway, tenant, order.id) is Step.SKIPPED
    assert len(gateway.calls) == 2


@pytest.mark.parametrize(
    ("elapsed", "outcome"),
    [
        (saga.CHARGE_GRACE, "deferred"),  # the provider cannot answer yet: the message comes back
        (saga.RESOLVE_WITHIN - timedelta(seconds=1), "deferred"),
        (saga.RESOLVE_WITHIN, "unresolved"),  # out of time: recorded, counted, alarmed, and nothing more sent
        (saga.RESOLVE_WITHIN + timedelta(hours=3), "unresolved"),
    ],
)
def test_a_probe_the_provider_never_answers_ends_recorded_as_unresolved_at_the_deadline(
    shop, tenant, gateway, elapsed, outcome
):
    order, _ = cancelled_after_an_unanswered_charge(shop, tenant, gateway)
    shop.clock.advance(int(elapsed.total_seconds()))
    gateway.failure = ExternalTimeout()
    metrics.clear_metrics()
    if outcome == "deferred":
        with pytest.raises(ExternalTimeout):
            saga.charge_order(ports(shop), gateway, tenant, order.id)
        assert not saga.outcome_unresolved(now_of(shop))
        return
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is Step.UNRESOLVED
    after = now_of(shop)
    assert (after.status, after.payment_status, saga.outcome_unresolved(after)) == (
        OrderStatus.CANCELLED,
        PaymentStatus.PENDING,
        True,
    )
    assert (after.history[-1].detail or "").startswith(saga.OUTCOME_UNRESOLVED)
    assert saga.PAYMENTS_UNRESOLVED in metrics.metric_set
    asked = len(gateway.calls)
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is Step.SKIPPED
    assert len(gateway.calls) == asked, "the retries stop"
    assert (PaymentKind.REFUND, order.id) not in {(k, o) for o, k in shop.state.payments}


@pytest.mark.parametrize("failure", [ExternalTimeout(), ExternalUnavailable(), AppError("provider 5xx")])
def test_a_provider_that_cannot_decide_changes_nothing_and_the_error_passes_through(shop, tenant, gateway, failure):
    item = product(shop, tenant, 5)
    order, _ = placed(shop, [(item, 2)])
    saga.reserve_order(ports(shop), tenant, order.id)
    shop.publisher.sent.clear()
    gateway.failure = failure
    with pytest.raises(type(failure)):
        saga.charge_order(ports(shop), gateway, tenant, order.id)
    after = now_of(shop)
    assert (after.status, after.payment_status, stock_of(shop, item)) == (
        OrderStatus.RESERVED,
        PaymentStatus.PENDING,
        3,
    )
    assert (shop.state.payments, shop.publisher.sent) == ({}, [])
    gateway.failure = None  # the provider is back: the message comes again and completes, charged once
    assert saga.charge_order(ports(shop), gateway, tenant, order.id) is Step.CONFIRMED
    assert len(gateway.charges) == 1


# --- refund_order -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("decline", "step", "payment", "records"),
    [
        (False, Step.REFUNDED, PaymentStatus.REFUNDED, {PaymentKind.CHARGE, PaymentKind.REFUND}),
        (True, Step.REFUND_DECLINED, PaymentStatus.REFUND_REQUESTED, {PaymentKind.CHARGE, PaymentKind.REFUND}),
    ],
)
def test_refund_order_gives_a_cancelled_paid_order_s_money_back_once(
    shop, tenant, gateway, decline, step, payment, records
):
    item = product(shop, tenant, 5)
    order, who = placed(shop, [(item, 2)])
    saga.reserve_order(ports(shop), tenant, order.id)
    saga.charge_order(ports(shop), gateway, tenant, order.id)
    orders.cancel_order(shop.ports, who, order.id, None)
    gateway.decline_refunds = decline
    metrics.clear_metrics()
    steps = [saga.refund_order(ports(shop), gateway, tenant, order.id) for _ in range(3)]
    assert steps == [step, Step.SKIPPED, Step.SKIPPED]
    assert now_of(shop).payment_status is payment
    assert {kind for (_, kind) in shop.state.payments} == records
    assert gateway.calls.count(refund_key(order.id)) == 1
    # A declined refund is not silent: recorded, in the history, and counted once for the alarm.
    refund = shop.state.payments[(order.id, PaymentKind.REFUND)]
    assert refund.outcome == ("declined" if decline else "refunded")
    assert (now_of(shop).history[-1].detail or "").startswith("refund declined") is decline
    counted = metrics.metric_set.get(saga.REFUNDS_DECLINED, {}).get("Value", [])
    assert counted == ([1.0] if decline else [])
    metrics.clear_metrics()


def test_refund_order_skips_an_order_that_asked_for_no_refund(shop, tenant, gateway):
    item = product(shop, tenant, 5)
    order, _ = placed(shop, [(item, 2)])
    saga.reserve_order(ports(shop), tenant, order.id)
    saga.charge_order(ports(shop), gateway, tenant, order.id)
    gateway.calls.clear()
    assert saga.refund_order(ports(shop), gateway, tenant, order.id) is Step.SKIPPED
    assert gateway.calls == []


# --- defer --------------------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def charge_message(age: timedelta) -> Envelope:
    return envelope(ChargeRequested(order_id=uuid4()), tenant_id=uuid4(), occurred_at=NOW - age)


def with_retry_after(seconds: int | None) -> AppError:
    error = ExternalUnavailable()
    error.retry_after = seconds
    return error


@pytest.mark.parametrize(
    ("publisher_state", "age", "retry_after", "deferred", "delay"),
    [
        ("up", timedelta(0), 7, True, 7),  # the breaker's remaining open time
        ("up", timedelta(0), None, True, 60),  # no hint: a minute
        ("up", timedelta(0), 0, True, 60),
        ("up", timedelta(0), 5000, True, 900),  # SQS delays at most 15 minutes
        ("up", timedelta(hours=11), 7, True, 7),
        ("up", timedelta(hours=12, seconds=1), 7, False, None),  # too old: fails, and reaches the DLQ
        ("down", timedelta(0), 7, False, None),  # cannot re-send: fails, SQS brings it back
        ("refused", timedelta(0), 7, False, None),
        ("none", timedelta(0), 7, False, None),  # no queue configured
    ],
)
def test_defer_re_sends_a_message_delayed_while_it_is_young_enough(publisher_state, age, retry_after, deferred, delay):
    message = charge_message(age)
    publisher = FakePublisher()
    publisher.down = publisher_state == "down"
    if publisher_state == "refused":
        publisher.refuse.add(message.id)
    chosen = None if publisher_state == "none" else publisher
    assert saga.defer(chosen, Queue.PAYMENT, message, with_retry_after(retry_after), NOW) is deferred
    assert publisher.delays == ([delay] if deferred else [])
    if deferred:
        assert publisher.sent == [(Queue.PAYMENT, message)], "the same envelope: consumers deduplicate on its id"


# --- what a stock move makes the caches forget ------------------------------------------------------------
def remembered_product_totals(shop: FakeOrders, tenant: UUID) -> bool:
    """Whether the tenant's product list totals are still remembered (a forget drops their generation)."""
    return product_totals_scope(tenant) in shop.totals.generations


@pytest.mark.parametrize(
    ("move", "stock_after"),
    [
        ("reserve", 3),  # the saga takes the stock
        ("decline", 5),  # the payment declined: the saga gives it back
        ("cancel", 5),  # the customer cancels a reserved order: the cancel gives it back
    ],
)
def test_a_stock_move_forgets_the_product_list_totals_and_the_product_as_a_product_write_does(
    shop, tenant, gateway, move, stock_after
):
    """Outside pass: the saga moved stock but the product list totals (adapters/cache/redis_totals.py) kept
    counting the old stock until they expired."""
    item = product(shop, tenant, 5)
    order, who = placed(shop, [(item, 2)], "tok_decline" if move == "decline" else "tok_approve")
    if move != "reserve":
        saga.reserve_order(ports(shop), tenant, order.id)
    shop.totals.recall(product_totals_scope(tenant), "any list")  # a product list counted meanwhile
    shop.cache.set(product_cache_key(tenant, item.id), b"cached product", 60)
    if move == "reserve":
        saga.reserve_order(ports(shop), tenant, order.id)
    elif move == "decline":
        saga.charge_order(ports(shop), gateway, tenant, order.id)
    else:
        orders.cancel_order(shop.ports, who, order.id, None)
    assert stock_of(shop, item) == stock_after
    assert not remembered_product_totals(shop, tenant)
    assert shop.cache.get(product_cache_key(tenant, item.id)) is None
