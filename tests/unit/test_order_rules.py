"""The order's rules as tables: the state machine, cancellation, amendment, deletion, validation and replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict, ErrorCode, Forbidden, ValidationFailed
from storefront.domain.money import Money
from storefront.domain.orders import (
    TERMINAL,
    TRANSITIONS,
    EventKind,
    Order,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    cancel,
    check_settable,
    replay,
)

S = OrderStatus
P = PaymentStatus
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ADDRESS = Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR")


def item(quantity: int = 2, price: str = "8.90", currency: str = "EUR") -> OrderItem:
    return OrderItem(uuid4(), "TEA-001", "Sencha", quantity, Money.of(price, currency))


def placed(*items: OrderItem, notes: str | None = None) -> Order:
    order, _ = Order.place(
        tenant_id=uuid4(),
        user_id=uuid4(),
        items=list(items) or [item()],
        shipping_address=ADDRESS,
        payment_token="tok_approve",
        notes=notes,
        actor="u1",
        now=NOW,
    )
    return order


def walk(*path: OrderStatus) -> Order:
    """An order moved along ``path`` from PENDING."""
    order = placed()
    for n, status in enumerate(path, start=1):
        order, _ = order.moved_to(status, "saga", NOW + timedelta(seconds=n))
    return order


# Every (from, to) pair: allowed exactly as the contract says, 409 BIZ_002 otherwise.
ALLOWED = {
    (S.PENDING, S.RESERVED),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.CANCELLED),
    (S.RESERVED, S.CONFIRMED),
    (S.RESERVED, S.FAILED),
    (S.RESERVED, S.CANCELLED),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
}
PATHS = {
    S.PENDING: (),
    S.RESERVED: (S.RESERVED,),
    S.CONFIRMED: (S.RESERVED, S.CONFIRMED),
    S.SHIPPED: (S.RESERVED, S.CONFIRMED, S.SHIPPED),
    S.DELIVERED: (S.RESERVED, S.CONFIRMED, S.SHIPPED, S.DELIVERED),
    S.FAILED: (S.FAILED,),
    S.CANCELLED: (S.CANCELLED,),
}


@pytest.mark.parametrize("source", list(S), ids=str)
@pytest.mark.parametrize("target", [s for s in S if s is not S.PENDING], ids=str)
def test_the_state_machine_allows_exactly_the_contracts_moves(source, target):
    order = walk(*PATHS[source])
    assert order.status is source
    if (source, target) in ALLOWED:
        moved, event = order.moved_to(target, "saga", NOW + timedelta(minutes=1))
        assert (moved.status, moved.version, moved.sequence) == (target, order.version + 1, order.sequence + 1)
        assert (event.from_status, event.to_status, event.sequence) == (source, target, order.sequence + 1)
    else:
        with pytest.raises(Conflict) as refused:
            order.moved_to(target, "saga", NOW)
        assert refused.value.code is ErrorCode.CONFLICT


def test_the_table_is_the_allowed_set_and_terminal_states_have_no_exit():
    assert {(a, b) for a, onward in TRANSITIONS.items() for b in onward} == ALLOWED
    assert TERMINAL == {S.DELIVERED, S.FAILED, S.CANCELLED}


@pytest.mark.parametrize(
    ("source", "payment", "releases", "refund", "payment_after"),
    [
        (S.PENDING, P.PENDING, False, False, P.PENDING),
        (S.RESERVED, P.PENDING, True, False, P.PENDING),
        (S.RESERVED, P.AUTHORIZED, True, True, P.REFUND_REQUESTED),
        (S.CONFIRMED, P.CAPTURED, True, True, P.REFUND_REQUESTED),
        (S.CONFIRMED, P.AUTHORIZED, True, True, P.REFUND_REQUESTED),
        (S.PENDING, P.DECLINED, False, False, P.DECLINED),
    ],
)
def test_cancel_releases_held_stock_and_asks_a_refund_when_paid(source, payment, releases, refund, payment_after):
    order = walk(*PATHS[source])
    if payment is not P.PENDING:
        order = _with_payment(order, payment)
    outcome = cancel(order, "u1", NOW + timedelta(hours=1))
    assert outcome.order.status is S.CANCELLED
    assert (outcome.release_stock, outcome.refund, outcome.order.payment_status) == (releases, refund, payment_after)
    assert outcome.event.kind is EventKind.CANCELLED


@pytest.mark.parametrize(
    ("by_owner", "detail"), [(True, "cancelled by the customer"), (False, "cancelled by an admin")]
)
def test_the_cancel_event_says_who_cancelled(by_owner, detail):
    order = placed(item())
    outcome = cancel(order, str(order.user_id) if by_owner else "admin-1", NOW)
    assert (outcome.event.detail, outcome.order.history[-1].detail) == (detail, detail)


@pytest.mark.parametrize(("token", "reason"), [("", "must not be blank"), ("   ", "must not be blank"),
                                               ("t" * 201, "must be 1 to 200 characters long")])  # fmt: skip
def test_a_blank_payment_token_is_said_to_be_blank(token, reason):
    with pytest.raises(ValidationFailed) as failed:
        Order.place(
            tenant_id=uuid4(),
            user_id=uuid4(),
            items=[item()],
            shipping_address=ADDRESS,
            payment_token=token,
            notes=None,
            actor="u1",
            now=NOW,
        )
    assert failed.value.errors[0].reason == reason


@pytest.mark.parametrize("source", [S.SHIPPED, S.DELIVERED, S.FAILED, S.CANCELLED], ids=str)
def test_cancel_is_refused_past_confirmation(source):
    with pytest.raises(Conflict):
        cancel(walk(*PATHS[source]), "u1", NOW)


@pytest.mark.parametrize("source", list(S), ids=str)
def test_only_a_finished_order_can_be_deleted(source):
    order = walk(*PATHS[source])
    if source in TERMINAL:
        deleted = order.deleted("u1", NOW)
        assert deleted.deleted_at == NOW
        assert deleted.version == order.version + 1
    else:
        with pytest.raises(Conflict):
            order.deleted("u1", NOW)


@pytest.mark.parametrize("source", list(S), ids=str)
def test_address_and_notes_change_only_while_pending(source):
    order = walk(*PATHS[source])
    if source is S.PENDING:
        amended, event = order.amended({"notes": "Ring twice"}, "u1", NOW)
        assert (amended.notes, event.kind, event.to_status) == ("Ring twice", EventKind.AMENDED, S.PENDING)
    else:
        with pytest.raises(Conflict):
            order.amended({"notes": "Ring twice"}, "u1", NOW)


@pytest.mark.parametrize(
    ("items", "address", "token", "notes", "field", "code"),
    [
        ([], ADDRESS, "tok", None, "items", ErrorCode.OUT_OF_RANGE),
        ([item()] * 101, ADDRESS, "tok", None, "items", ErrorCode.OUT_OF_RANGE),
        ([item(quantity=0)], ADDRESS, "tok", None, "items.0.quantity", ErrorCode.OUT_OF_RANGE),
        ([item(quantity=1001)], ADDRESS, "tok", None, "items.0.quantity", ErrorCode.OUT_OF_RANGE),
        ([item(), item(currency="USD")], ADDRESS, "tok", None, "items", ErrorCode.INVALID_FORMAT),
        (
            [item()],
            Address("1 Road", "Town", "1000", "XX"),
            "tok",
            None,
            "shipping_address.country",
            ErrorCode.INVALID_FORMAT,
        ),
        (
            [item()],
            Address(" ", "Town", "1000", "FR"),
            "tok",
            None,
            "shipping_address.line1",
            ErrorCode.OUT_OF_RANGE,
        ),
        ([item()], ADDRESS, " ", None, "payment_token", ErrorCode.OUT_OF_RANGE),
        ([item()], ADDRESS, "t" * 201, None, "payment_token", ErrorCode.OUT_OF_RANGE),
        ([item()], ADDRESS, "tok", "x" * 1001, "notes", ErrorCode.OUT_OF_RANGE),
        ([item(quantity=1000, price="9999999999.99")], ADDRESS, "tok", None, "items", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_placement_rules(items, address, token, notes, field, code):
    arguments = {"tenant_id": uuid4(), "user_id": uuid4(), "items": items, "shipping_address": address}
    with pytest.raises(ValidationFailed) as failed:
        Order.place(**arguments, payment_token=token, notes=notes, actor="u1", now=NOW)
    assert (failed.value.errors[0].field, failed.value.errors[0].code) == (field, code)


def test_a_product_twice_is_refused_naming_the_second_line():
    same = item()
    with pytest.raises(ValidationFailed) as failed:
        placed(same, same)
    assert failed.value.errors[0].field == "items.1.product_id"


def test_totals_are_exact_decimal_sums():
    order = placed(item(quantity=3, price="0.10"), item(quantity=1, price="0.20"))
    assert order.total == Money(Decimal("0.50"), "EUR")
    assert [i.line_total.amount for i in order.items] == [Decimal("0.30"), Decimal("0.20")]


@pytest.mark.parametrize("path", list(PATHS.values()), ids=lambda p: "-".join(p) or "PENDING")
def test_replaying_an_orders_events_rebuilds_it(path):
    order = walk(*path)
    order, _ = order.moved_to(S.CANCELLED, "u1", NOW) if order.status in (S.PENDING,) else (order, None)
    rebuilt = replay(order.history)
    assert (rebuilt.status, rebuilt.payment_status, rebuilt.sequence) == (
        order.status,
        order.payment_status,
        order.sequence,
    )


def test_replay_follows_payment_changes_and_amendments():
    order = walk(S.RESERVED)
    order = _with_payment(order, P.CAPTURED)
    order, _ = order.moved_to(S.CONFIRMED, "saga", NOW)
    outcome = cancel(order, "u1", NOW)
    rebuilt = replay(outcome.order.history)
    assert (rebuilt.status, rebuilt.payment_status) == (S.CANCELLED, P.REFUND_REQUESTED)


@pytest.mark.parametrize("broken", ["gap", "not_placed", "wrong_from", "forbidden", "empty"])
def test_replay_refuses_what_is_not_a_history(broken):
    history = list(walk(S.RESERVED, S.CONFIRMED).history)
    from dataclasses import replace

    if broken == "gap":
        history = [history[0], history[2]]
    elif broken == "not_placed":
        history = history[1:]
    elif broken == "wrong_from":
        history[2] = replace(history[2], from_status=S.PENDING)
    elif broken == "forbidden":
        history[2] = replace(history[2], to_status=S.DELIVERED)
    else:
        history = []
    with pytest.raises(ValueError):
        replay(history)


def _with_payment(order: Order, payment: PaymentStatus) -> Order:
    """The order after a payment event (the payment step's, in a later part of issue 7), same status."""
    from dataclasses import replace

    from storefront.domain.orders import OrderEvent

    event = OrderEvent(
        order.id, order.sequence + 1, EventKind.PAYMENT, order.status, order.status, NOW, "saga", payment
    )
    return replace(
        order,
        payment_status=payment,
        sequence=event.sequence,
        version=order.version + 1,
        history=(*order.history, event),
    )


@pytest.mark.parametrize(
    ("sent", "refused"),
    [
        ({"items", "shipping_address", "payment_token", "notes"}, None),
        ({"shipping_address", "notes", "version"}, None),
        ({"notes", "status"}, "status"),
        ({"payment_status"}, "payment_status"),
        ({"user_id"}, "user_id"),
        ({"total"}, "total"),
        ({"history"}, "history"),
        ({"tenant_id"}, "tenant_id"),
        ({"total", "status"}, "status"),  # the first in SERVER_SET_FIELDS order is named
    ],
)
def test_only_the_server_sets_an_orders_owner_statuses_total_and_history(sent, refused):
    if refused is None:
        check_settable(sent)
        return
    with pytest.raises(Forbidden) as failed:
        check_settable(sent)
    assert failed.value.details == {
        "field": refused,
        "reason": "is set by the server (order processing), never by a request",
    }
