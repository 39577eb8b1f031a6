"""The order saga: the steps the queue consumers take after an order is placed.

    order.placed             -> reserve_order: PENDING -> RESERVED (stock taken) + payment.charge_requested
                                               PENDING -> FAILED (stock short)  + order.failed
    payment.charge_requested -> charge_order:  RESERVED -> CONFIRMED (captured) + order.confirmed
                                               RESERVED -> FAILED (declined, stock back) + order.failed
    payment.refund_requested -> refund_order:  refund_requested -> refunded

Exactly-once effects come from the database, never from the message: each step is one transaction whose first
write is the conditional move of the order (``UPDATE ORDERS ... WHERE STATUS = :from AND VERSION = :v``), so a
message delivered twice, or two consumers holding the same message, find the order already moved and do
nothing; stock moves, payment records (UNIQUE (ORDER_ID, KIND)) and outbox rows ride in that transaction. A
charge is the one effect outside the database: the provider makes it once per idempotency key
(``charge:<order_id>``), so a charge repeated by a redelivery is answered with the same charge.

An order cancelled after a charge attempt whose answer never came is never charged again: once the charge can
no longer be in flight (``SagaPorts.charge_grace`` after the attempt) its outcome is resolved by asking the
refund of the charge made under ``charge:<order_id>`` (key ``refund:<order_id>``): refunded, or no charge
there (nothing taken). A provider that cannot answer that either until ``SagaPorts.resolve_within`` has passed
gets the order's outcome recorded as unresolved (history, metric, alarm) and nothing more is sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from aws_lambda_powertools.metrics import MetricUnit

from storefront.application.order_queries import totals_scope
from storefront.application.outbox import publish_committed
from storefront.application.ports import (
    Cache,
    Clock,
    ListTotals,
    MessagePublisher,
    OrderUnitOfWork,
    PaymentGateway,
    StockLine,
)
from storefront.application.products import forget_stock_change
from storefront.domain.errors import AppError, Conflict, ExternalError, ExternalTimeout, ExternalUnavailable
from storefront.domain.money import Money
from storefront.domain.orders import EventKind, Order, OrderStatus, PaymentStatus
from storefront.domain.payments import (
    PaymentKind,
    PaymentRecord,
    PaymentResult,
    RefundResult,
    charge_key,
    refund_key,
)
from storefront.messages.envelope import Envelope, MessageData, Queue, envelope
from storefront.messages.orders import QUEUE_OF, ChargeRequested, OrderConfirmed, OrderFailed, RefundRequested
from storefront.observability import logger, metrics

ACTOR = "saga"
REFUNDS_DECLINED = "RefundsDeclined"  # the metric the RefundsDeclinedAlarm of template.yaml watches
PAYMENTS_UNRESOLVED = "PaymentOutcomesUnresolved"  # the metric the PaymentOutcomesUnresolvedAlarm watches
# A charge attempt can be in flight (the consumer's retries, the provider still working on it) for at most the
# payment consumer's timeout (30 s); the probe waits well past that before it may conclude "no charge".
CHARGE_GRACE = timedelta(minutes=5)
# How long after the charge attempt a cancelled order's unknown outcome may stay unknown before it is recorded
# as unresolved and left to a person (well within DEFER_FOR_AT_MOST, so the deferred message is still there).
RESOLVE_WITHIN = timedelta(hours=2)
NO_CHARGE_REASONS = frozenset({"charge_not_found", "charge_not_approved"})  # a refund decline saying nothing was taken
SETTLE_ATTEMPTS = 3  # re-reads of an order that changed between the read and the conditional move
# A consumer defers a message the payment provider cannot take now (re-sent with a delay, the original
# acknowledged) while it is younger than this; an older one fails like any other and reaches the DLQ after
# maxReceiveCount receives. SQS's own delay is at most 15 minutes.
DEFER_FOR_AT_MOST = timedelta(hours=12)
DEFAULT_DEFER_SECONDS = 60
MAX_DELAY_SECONDS = 900


class Step(StrEnum):
    """What a saga step did with its message."""

    RESERVED = "reserved"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REFUNDED = "refunded"
    REFUND_DECLINED = "refund_declined"
    REFUND_REQUESTED = "refund_requested"  # charged after a cancellation: the money goes back
    SETTLED = "settled"  # a charge attempted before a cancellation turned out to have taken nothing
    UNRESOLVED = "unresolved"  # a cancelled order's charge outcome could not be learned in time: left to a person
    SKIPPED = "skipped"  # already done (a repeat), or nothing to do for the order's state


@dataclass(frozen=True, slots=True)
class SagaPorts:
    """What the saga's steps need: the order unit of work, the product cache and list totals to forget, the
    clock, the publisher that sends a step's messages after its commit (None: the relay sends them), and when a
    cancelled order's unknown charge is probed (``charge_grace`` after the attempt) and given up on
    (``resolve_within`` after it)."""

    unit_of_work: Callable[[], OrderUnitOfWork]
    cache: Cache
    totals: ListTotals
    clock: Clock
    publisher: MessagePublisher | None = None
    charge_grace: timedelta = CHARGE_GRACE
    resolve_within: timedelta = RESOLVE_WITHIN


class ChargeProbeNotDue(ExternalUnavailable):
    """A cancelled order's unknown charge may still be in flight: its probe waits ``retry_after`` seconds more
    (the payment consumer defers the message by that much)."""

    def __init__(self, seconds: int) -> None:
        super().__init__("The charge may still be in flight; its outcome is asked later")
        self.retry_after = seconds


Outgoing = list[tuple[Queue, Envelope]]


def reserve_order(ports: SagaPorts, tenant_id: UUID, order_id: UUID) -> Step:
    """Move a PENDING order to RESERVED, taking every line's stock in the same transaction, and ask for its
    payment; when a line is short, nothing is taken and the order FAILS (``order.failed``). A repeat finds the
    order past PENDING and is skipped."""
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            return _skipped("order.placed", order_id, order)
        reserved, event = order.moved_to(OrderStatus.RESERVED, ACTOR, now, detail="stock reserved")
        if not uow.orders.update(reserved, order, event):
            return _skipped("order.placed", order_id, None)  # moved by someone else first: rolled back on exit
        if uow.orders.reserve_stock(tenant_id, _lines(order), now):
            outgoing = _write(uow, reserved, [ChargeRequested(order_id=order_id)])
            uow.commit()
            _after(ports, reserved, outgoing, stock_moved=True)
            return Step.RESERVED
    # A line was short: that transaction rolled back whole (the move and every line taken before the short one).
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            return _skipped("order.placed", order_id, order)
        failed, event = order.moved_to(OrderStatus.FAILED, ACTOR, now, detail="out of stock")
        if not uow.orders.update(failed, order, event):
            return _skipped("order.placed", order_id, None)
        outgoing = _write(uow, failed, [OrderFailed(order_id=order_id, reason="out_of_stock")])
        uow.commit()
    _after(ports, failed, outgoing, stock_moved=False)
    metrics.add_metric(name="OrdersFailedOutOfStock", unit=MetricUnit.Count, value=1)
    return Step.FAILED


def charge_order(ports: SagaPorts, gateway: PaymentGateway, tenant_id: UUID, order_id: UUID) -> Step:
    """Charge a RESERVED order through the provider (idempotency key ``charge:<order_id>``) and settle it:
    approved -> CONFIRMED (captured, ``order.confirmed``); declined -> FAILED with its stock back in the same
    transaction (``order.failed``). The first attempt is written in the order's history before the provider is
    called: an order cancelled after an attempt whose outcome was unknown (a timeout: the provider may have
    charged) is never charged again but resolved by ``resolve_cancelled_charge``. Anything else is skipped
    without a charge (an order cancelled before any attempt is never charged). The provider's ExternalTimeout,
    ExternalError and ExternalUnavailable pass through: the outcome is unknown and the message must come back."""
    for _ in range(SETTLE_ATTEMPTS):
        with ports.unit_of_work() as uow:
            order = uow.orders.get(tenant_id, order_id)
        if order is None or not _chargeable(order):
            return _skipped("payment.charge_requested", order_id, order)
        if order.status is OrderStatus.CANCELLED:
            return resolve_cancelled_charge(ports, gateway, order)
        if charge_attempted(order) or _mark_charge_attempt(ports, order):
            break
    else:
        raise Conflict("The order kept changing while its charge was being sent")
    result = gateway.charge(tenant_id, order_id, order.total, order.payment_token, charge_key(order_id))
    for _ in range(SETTLE_ATTEMPTS):
        step = _settle_charge(ports, tenant_id, order_id, result)
        if step is not None:
            return step
    raise Conflict("The order kept changing while its payment was settled")


CHARGE_ATTEMPTED = "charge sent to the provider"


OUTCOME_UNRESOLVED = "payment outcome unresolved"


def charge_attempted(order: Order) -> bool:
    """Whether a charge of ``order`` was ever sent to the provider (its history says so)."""
    return _charge_attempted_at(order) is not None


def outcome_unresolved(order: Order) -> bool:
    """Whether the order's history records that its payment outcome could not be learned (left to a person)."""
    return any(e.kind is EventKind.PAYMENT and (e.detail or "").startswith(OUTCOME_UNRESOLVED) for e in order.history)


def _charge_attempted_at(order: Order) -> datetime | None:
    return next(
        (e.occurred_at for e in order.history if e.kind is EventKind.PAYMENT and e.detail == CHARGE_ATTEMPTED), None
    )


def _chargeable(order: Order) -> bool:
    if order.payment_status is not PaymentStatus.PENDING:
        return False
    if order.status is OrderStatus.RESERVED:
        return True
    return order.status is OrderStatus.CANCELLED and charge_attempted(order) and not outcome_unresolved(order)


def resolve_cancelled_charge(ports: SagaPorts, gateway: PaymentGateway, order: Order) -> Step:
    """Learn what became of a cancelled order's charge whose answer never came, without charging again: once
    ``charge_grace`` has passed since the attempt (earlier: ChargeProbeNotDue, the message is deferred), ask the
    refund of the charge made under ``charge:<order_id>`` (key ``refund:<order_id>``). Refunded -> payment status
    ``refunded``; declined as no charge (``charge_not_found``, ``charge_not_approved``) -> ``declined`` (nothing
    was taken); another decline -> as refund_order's declined refund. When the provider cannot answer and
    ``resolve_within`` has passed since the attempt, the history records the outcome as unresolved, the
    ``PaymentOutcomesUnresolved`` metric (alarmed) counts it and nothing more is sent; before that the provider's
    error passes through (the message is deferred)."""
    attempted_at = _charge_attempted_at(order) or order.updated_at
    now = ports.clock.now()
    due = attempted_at + ports.charge_grace
    if now < due:
        raise ChargeProbeNotDue(max(1, math.ceil((due - now).total_seconds())))
    result: RefundResult | None
    try:
        result = gateway.refund_charge(
            order.tenant_id, order.id, charge_key(order.id), order.total, refund_key(order.id)
        )
    except (ExternalTimeout, ExternalError, ExternalUnavailable):
        if now - attempted_at < ports.resolve_within:
            raise
        result = None
    for _ in range(SETTLE_ATTEMPTS):
        step = _settle_probe(ports, order.tenant_id, order.id, result)
        if step is not None:
            return step
    raise Conflict("The order kept changing while its payment outcome was settled")


def _settle_probe(ports: SagaPorts, tenant_id: UUID, order_id: UUID, result: RefundResult | None) -> Step | None:
    """Record what the probe of a cancelled order's charge learned (None: nothing, in time); None when the order
    changed under it (read it again)."""
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        refunded = uow.orders.payment_record(tenant_id, order_id, PaymentKind.REFUND)
        if order is None or refunded is not None or order.status is not OrderStatus.CANCELLED or not _chargeable(order):
            return _skipped("payment.charge_requested", order_id, order)
        if result is None:
            detail = f"{OUTCOME_UNRESOLVED}: the provider never answered; a person must check the charge"
            moved, event = order.payment_changed(PaymentStatus.PENDING, ACTOR, now, detail)
            step = Step.UNRESOLVED
        elif result.refunded:
            detail = "charged before the cancellation: refunded"
            moved, event = order.payment_changed(PaymentStatus.REFUNDED, ACTOR, now, detail)
            step = Step.REFUNDED
        elif result.decline_reason in NO_CHARGE_REASONS:
            detail = f"no charge taken before the cancellation: {result.decline_reason}"
            moved, event = order.payment_changed(PaymentStatus.DECLINED, ACTOR, now, detail)
            step = Step.SETTLED
        else:
            detail = f"refund declined: {result.decline_reason}"
            moved, event = order.payment_changed(PaymentStatus.REFUND_REQUESTED, ACTOR, now, detail)
            step = Step.REFUND_DECLINED
        if not uow.orders.update(moved, order, event):
            return None
        if result is not None:
            uow.orders.record_payment(_refund_record(order, result, now))
        uow.commit()
    _after(ports, moved, [], stock_moved=False)
    if step is Step.UNRESOLVED:
        logger.error("a cancelled order's payment outcome is unresolved", extra={"order_id": str(order_id)})
        metrics.add_metric(name=PAYMENTS_UNRESOLVED, unit=MetricUnit.Count, value=1)
    elif step is Step.REFUND_DECLINED:
        logger.error("the provider declined a refund", extra={"order_id": str(order_id), "reason": detail})
        metrics.add_metric(name=REFUNDS_DECLINED, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ChargeOutcomesResolved", unit=MetricUnit.Count, value=1)
    return step


def _mark_charge_attempt(ports: SagaPorts, order: Order) -> bool:
    """Write in the order's history that its charge is being sent (a conditional update: False when the order
    changed meanwhile, to be read again)."""
    moved, event = order.payment_changed(PaymentStatus.PENDING, ACTOR, ports.clock.now(), CHARGE_ATTEMPTED)
    with ports.unit_of_work() as uow:
        if not uow.orders.update(moved, order, event):
            return False
        uow.commit()
    return True


def _settle_charge(ports: SagaPorts, tenant_id: UUID, order_id: UUID, result: PaymentResult) -> Step | None:
    """One attempt at recording a charge's outcome; None when the order changed under it (read it again)."""
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        if order is None or uow.orders.payment_record(tenant_id, order_id, PaymentKind.CHARGE) is not None:
            return _skipped("payment.charge_requested", order_id, order)
        messages: list[MessageData]
        release = False
        if order.status is OrderStatus.RESERVED and result.approved:
            moved, event = order.moved_to(OrderStatus.CONFIRMED, ACTOR, now, payment_status=PaymentStatus.CAPTURED)
            messages, step = [OrderConfirmed(order_id=order_id)], Step.CONFIRMED
        elif order.status is OrderStatus.RESERVED:
            detail = f"payment declined: {result.decline_reason}"
            moved, event = order.moved_to(
                OrderStatus.FAILED, ACTOR, now, payment_status=PaymentStatus.DECLINED, detail=detail
            )
            messages, step, release = [OrderFailed(order_id=order_id, reason="payment_declined")], Step.FAILED, True
        elif order.status is OrderStatus.CANCELLED and result.approved:
            # Cancelled while the charge was on its way: the money was taken, so it goes back.
            detail = "charged after the cancellation: refund requested"
            moved, event = order.payment_changed(PaymentStatus.REFUND_REQUESTED, ACTOR, now, detail)
            messages, step = [RefundRequested(order_id=order_id)], Step.REFUND_REQUESTED
        elif order.status is OrderStatus.CANCELLED and order.payment_status is PaymentStatus.PENDING:
            # Cancelled after an attempt whose outcome was unknown: it took nothing, so the payment is settled.
            detail = f"charge declined after the cancellation: {result.decline_reason}"
            moved, event = order.payment_changed(PaymentStatus.DECLINED, ACTOR, now, detail)
            messages, step = [], Step.SETTLED
        else:
            return _skipped("payment.charge_requested", order_id, order)
        if not uow.orders.update(moved, order, event):
            return None
        if release:
            uow.orders.release_stock(tenant_id, _lines(order), now)
        uow.orders.record_payment(_charge_record(order, result, now))
        outgoing = _write(uow, moved, messages)
        uow.commit()
    _after(ports, moved, outgoing, stock_moved=release)
    metrics.add_metric(name=f"Orders{step.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return step


def refund_order(ports: SagaPorts, gateway: PaymentGateway, tenant_id: UUID, order_id: UUID) -> Step:
    """Give back a charged order's money (idempotency key ``refund:<order_id>``) when its payment status is
    refund_requested and no refund is recorded: refunded -> payment status ``refunded``; a refund the provider
    declines is recorded (a REFUND payment record with outcome ``declined`` and its reason, an order event
    ``refund declined: <reason>``; the payment status stays ``refund_requested``), logged as an error and
    counted (metric ``RefundsDeclined``, alarmed) for a person to follow up. Repeats are skipped."""
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        charge = uow.orders.payment_record(tenant_id, order_id, PaymentKind.CHARGE)
        refunded = uow.orders.payment_record(tenant_id, order_id, PaymentKind.REFUND)
    if order is None or order.payment_status is not PaymentStatus.REFUND_REQUESTED or refunded is not None:
        return _skipped("payment.refund_requested", order_id, order)
    if charge is None:
        logger.error("refund requested for an order without a recorded charge", extra={"order_id": str(order_id)})
        return Step.SKIPPED
    result = gateway.refund(tenant_id, order_id, charge.provider_ref, charge.amount, refund_key(order_id))
    for _ in range(SETTLE_ATTEMPTS):
        step = _settle_refund(ports, tenant_id, order_id, charge, result)
        if step is not None:
            return step
    raise Conflict("The order kept changing while its refund was settled")


def _settle_refund(
    ports: SagaPorts, tenant_id: UUID, order_id: UUID, charge: PaymentRecord, result: RefundResult
) -> Step | None:
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        if order is None or uow.orders.payment_record(tenant_id, order_id, PaymentKind.REFUND) is not None:
            return _skipped("payment.refund_requested", order_id, order)
        if result.refunded:
            moved, event = order.payment_changed(PaymentStatus.REFUNDED, ACTOR, now, "refunded")
            step = Step.REFUNDED
        else:
            detail = f"refund declined: {result.decline_reason}"
            moved, event = order.payment_changed(PaymentStatus.REFUND_REQUESTED, ACTOR, now, detail)
            step = Step.REFUND_DECLINED
        if not uow.orders.update(moved, order, event):
            return None
        uow.orders.record_payment(_refund_record(order, result, now, charge.amount))
        uow.commit()
    if step is Step.REFUND_DECLINED:
        # Nothing retries it (the refund record stands): the RefundsDeclined alarm calls a person (README).
        logger.error(
            "the provider declined a refund", extra={"order_id": str(order_id), "reason": result.decline_reason}
        )
        metrics.add_metric(name=REFUNDS_DECLINED, unit=MetricUnit.Count, value=1)
    _after(ports, moved, [], stock_moved=False)
    metrics.add_metric(name="RefundsSettled", unit=MetricUnit.Count, value=1)
    return step


def defer(publisher: MessagePublisher | None, queue: Queue, message: Envelope, error: AppError, now: datetime) -> bool:
    """Send ``message`` again to ``queue``, delayed by the error's ``retry_after`` (the breaker's remaining open
    time) or a minute, so the caller can acknowledge the original without using one of its receives: True when
    the queue took it. False (the caller fails the record: SQS brings it back, and counts it) when there is no
    queue, it is unreachable, or the message is older than DEFER_FOR_AT_MOST."""
    if publisher is None or now - message.occurred_at > DEFER_FOR_AT_MOST:
        return False
    delay = min(MAX_DELAY_SECONDS, max(1, error.retry_after or DEFAULT_DEFER_SECONDS))
    try:
        refused = publisher.publish(queue, [message], delay_seconds=delay)
    except AppError:
        logger.warning("could not defer the message; it comes back after its visibility timeout")
        return False
    if refused:
        return False
    logger.info("message deferred", extra={"delay_seconds": delay, "code": error.code})
    metrics.add_metric(name="MessagesDeferred", unit=MetricUnit.Count, value=1)
    return True


def _charge_record(order: Order, result: PaymentResult, now: datetime) -> PaymentRecord:
    return PaymentRecord(
        tenant_id=order.tenant_id,
        order_id=order.id,
        kind=PaymentKind.CHARGE,
        outcome=result.outcome.value,
        provider_ref=result.charge_id,
        amount=order.total,
        recorded_at=now,
        reason=result.decline_reason,
    )


def _refund_record(order: Order, result: RefundResult, now: datetime, amount: Money | None = None) -> PaymentRecord:
    return PaymentRecord(
        tenant_id=order.tenant_id,
        order_id=order.id,
        kind=PaymentKind.REFUND,
        outcome=result.outcome.value,
        provider_ref=result.refund_id,
        amount=amount or order.total,
        recorded_at=now,
        reason=result.decline_reason,
    )


def _lines(order: Order) -> list[StockLine]:
    return [StockLine(item.product_id, item.quantity) for item in order.items]


def _write(uow: OrderUnitOfWork, order: Order, messages: Sequence[MessageData]) -> Outgoing:
    outgoing: Outgoing = []
    for data in messages:
        message = envelope(data, tenant_id=order.tenant_id, occurred_at=order.updated_at)
        queue = QUEUE_OF[type(data)]
        uow.outbox.add(queue, message)
        outgoing.append((queue, message))
    return outgoing


def _after(ports: SagaPorts, order: Order, outgoing: Outgoing, *, stock_moved: bool) -> None:
    """After a commit: the owner's remembered order list totals and (when stock moved) what a stock change
    makes the product routes forget are forgotten, then the step's messages are sent."""
    ports.totals.forget(totals_scope(order.tenant_id, order.user_id))
    if stock_moved:
        forget_stock_change(ports.cache, ports.totals, order.tenant_id, [i.product_id for i in order.items])
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, outgoing)


def _skipped(message_type: str, order_id: UUID, order: Order | None) -> Step:
    state = "missing" if order is None else f"{order.status}/{order.payment_status}"
    logger.info("nothing to do", extra={"message_kind": message_type, "order_id": str(order_id), "order": state})
    metrics.add_metric(name="SagaStepsSkipped", unit=MetricUnit.Count, value=1)
    return Step.SKIPPED
