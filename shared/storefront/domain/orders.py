"""The order entity, its items, its state machine and the events that record every change of it.

An order is placed PENDING with its items priced from the catalogue at that moment. The saga moves it on
(RESERVED when its stock is held, CONFIRMED once paid, then SHIPPED and DELIVERED); it FAILS from PENDING or
RESERVED (stock or payment) and is CANCELLED from PENDING, RESERVED or CONFIRMED. Any other transition is a
Conflict (BIZ_002). Every change appends an ``OrderEvent``; ``replay`` of an order's events rebuilds its
status and payment status, so the history is the order's own account of itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from storefront.domain.addresses import Address, address_errors
from storefront.domain.errors import Conflict, ErrorCode, FieldError, Forbidden, ValidationFailed
from storefront.domain.money import Money

ITEMS_MIN, ITEMS_MAX = 1, 100
QUANTITY_MIN, QUANTITY_MAX = 1, 1000
NOTES_MAX = 1000
PAYMENT_TOKEN_MAX = 200
SKU_SNAPSHOT_MAX = 64
NAME_SNAPSHOT_MAX = 200
DETAIL_MAX = 400
TOTAL_MAX = Decimal("999999999999.99")  # NUMERIC(14, 2)
SHIPPING = "shipping_address"
# Fields of an order that only the server sets (its owner, the saga's statuses, the priced total, the events):
# a body naming one is refused by name (403 AUTH_003), never silently ignored.
SERVER_SET_FIELDS = ("tenant_id", "user_id", "status", "payment_status", "total", "history")


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    RESERVED = "RESERVED"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    DECLINED = "declined"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"


# The contract's state machine: every allowed move, nothing else.
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.RESERVED, OrderStatus.FAILED, OrderStatus.CANCELLED}),
    OrderStatus.RESERVED: frozenset({OrderStatus.CONFIRMED, OrderStatus.FAILED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
TERMINAL = frozenset(status for status, onward in TRANSITIONS.items() if not onward)
# The moves an admin makes by hand (fulfilment); the saga makes the others and cancelling has its own route.
ADMIN_MOVES: Mapping[OrderStatus, OrderStatus] = {
    OrderStatus.CONFIRMED: OrderStatus.SHIPPED,
    OrderStatus.SHIPPED: OrderStatus.DELIVERED,
}
# Stock is held from the reservation until the order fails or is cancelled.
HOLDS_STOCK = frozenset({OrderStatus.RESERVED, OrderStatus.CONFIRMED})
# Money has been taken (or promised) and must be given back when the order is cancelled.
PAID = frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED})


class EventKind(StrEnum):
    """What an order event records: a status move (named after the status reached), a payment status change,
    or an amendment of the details a client may change while the order is PENDING."""

    PLACED = "placed"
    RESERVED = "reserved"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAYMENT = "payment"
    AMENDED = "amended"


_KIND_OF_STATUS = {
    OrderStatus.RESERVED: EventKind.RESERVED,
    OrderStatus.CONFIRMED: EventKind.CONFIRMED,
    OrderStatus.SHIPPED: EventKind.SHIPPED,
    OrderStatus.DELIVERED: EventKind.DELIVERED,
    OrderStatus.FAILED: EventKind.FAILED,
    OrderStatus.CANCELLED: EventKind.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of an order: the product, its SKU and name as they were, the quantity and the price then."""

    product_id: UUID
    sku: str
    name: str
    quantity: int
    unit_price: Money

    @property
    def line_total(self) -> Money:
        """unit price x quantity."""
        return Money(self.unit_price.amount * self.quantity, self.unit_price.currency)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One entry of an order's history. ``sequence`` counts from 1 per order; ``from_status`` is None for the
    placement; ``payment_status`` is the payment status after the event (None: unchanged)."""

    order_id: UUID
    sequence: int
    kind: EventKind
    from_status: OrderStatus | None
    to_status: OrderStatus
    occurred_at: datetime
    actor: str
    payment_status: PaymentStatus | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Replayed:
    """What an order's events say it is now."""

    status: OrderStatus
    payment_status: PaymentStatus
    sequence: int


def replay(events: Iterable[OrderEvent]) -> Replayed:
    """The status and payment status an order's events (in sequence order) lead to; ValueError when they do
    not form a history (not starting with its placement, a gap in the sequence, a move the machine forbids, or
    an event whose ``from_status`` is not where the order stood)."""
    status: OrderStatus | None = None
    payment = PaymentStatus.PENDING
    sequence = 0
    for event in events:
        if event.sequence != sequence + 1:
            raise ValueError(f"event {event.sequence} follows {sequence}")
        if status is None:
            if event.kind is not EventKind.PLACED or event.to_status is not OrderStatus.PENDING:
                raise ValueError("a history starts with the order placed PENDING")
        elif event.from_status is not status:
            raise ValueError(f"event {event.sequence} starts from {event.from_status}, the order was {status}")
        elif event.to_status is not status and event.to_status not in TRANSITIONS[status]:
            raise ValueError(f"event {event.sequence}: {status} -> {event.to_status} is not allowed")
        status = event.to_status
        payment = event.payment_status or payment
        sequence = event.sequence
    if status is None:
        raise ValueError("no events")
    return Replayed(status, payment, sequence)


@dataclass(frozen=True, slots=True)
class Order:
    """An order of one user of one tenant. ``sequence`` is the number of its last event; ``payment_token``
    is what the payment step charges with and is never shown to anyone."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    items: tuple[OrderItem, ...]
    shipping_address: Address
    payment_token: str
    status: OrderStatus
    payment_status: PaymentStatus
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    notes: str | None = None
    sequence: int = 1
    deleted_at: datetime | None = None
    history: tuple[OrderEvent, ...] = field(default=(), compare=False)

    @property
    def currency(self) -> str:
        """The order's one currency."""
        return self.items[0].unit_price.currency

    @property
    def total(self) -> Money:
        """The sum of the line totals."""
        return Money(sum((i.line_total.amount for i in self.items), Decimal(0)), self.currency)

    @classmethod
    def place(
        cls,
        *,
        tenant_id: UUID,
        user_id: UUID,
        items: Sequence[OrderItem],
        shipping_address: Address,
        payment_token: str,
        notes: str | None,
        actor: str,
        now: datetime,
    ) -> tuple[Order, OrderEvent]:
        """A new PENDING order at version 1 and its first event (ValidationFailed listing every broken rule)."""
        errors = order_errors(items, shipping_address, payment_token, notes)
        if errors:
            raise ValidationFailed(errors)
        order_id = uuid4()
        event = OrderEvent(order_id, 1, EventKind.PLACED, None, OrderStatus.PENDING, now, actor, PaymentStatus.PENDING)
        order = cls(
            id=order_id,
            tenant_id=tenant_id,
            user_id=user_id,
            items=tuple(items),
            shipping_address=shipping_address,
            payment_token=payment_token,
            status=OrderStatus.PENDING,
            payment_status=PaymentStatus.PENDING,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=actor,
            updated_by=actor,
            notes=notes,
            history=(event,),
        )
        return order, event

    def moved_to(
        self,
        status: OrderStatus,
        actor: str,
        now: datetime,
        *,
        payment_status: PaymentStatus | None = None,
        detail: str | None = None,
    ) -> tuple[Order, OrderEvent]:
        """The order in ``status`` (and ``payment_status`` when given) and the event recording it; Conflict
        (BIZ_002) when the state machine does not allow the move."""
        if status not in TRANSITIONS[self.status]:
            raise Conflict(
                f"An order {self.status} cannot become {status}",
                details={"reason": f"allowed from {self.status}: {_names(TRANSITIONS[self.status])}"},
            )
        return self._next(_KIND_OF_STATUS[status], status, actor, now, payment_status, detail)

    def payment_changed(
        self, payment_status: PaymentStatus, actor: str, now: datetime, detail: str | None = None
    ) -> tuple[Order, OrderEvent]:
        """The order, in the same status, with a new payment status, and the PAYMENT event recording it (a refund
        requested or made after the order was cancelled)."""
        return self._next(EventKind.PAYMENT, self.status, actor, now, payment_status, detail)

    def amended(self, changes: Mapping[str, Any], actor: str, now: datetime) -> tuple[Order, OrderEvent]:
        """The order with a new ``shipping_address`` and/or ``notes``: only while PENDING (else Conflict)."""
        if self.status is not OrderStatus.PENDING:
            raise Conflict(
                f"An order {self.status} cannot be changed",
                details={"reason": "shipping address and notes change only while the order is PENDING"},
            )
        unknown = set(changes) - {"shipping_address", "notes"}
        if unknown:
            raise ValueError(f"not amendable: {sorted(unknown)}")
        changed = replace(self, **changes)
        errors = address_errors(changed.shipping_address, SHIPPING) + _notes_errors(changed.notes)
        if errors:
            raise ValidationFailed(errors)
        detail = "changed " + ", ".join(sorted(changes))
        amended, event = changed._next(EventKind.AMENDED, self.status, actor, now, None, detail)
        return amended, event

    def administered(
        self, status: OrderStatus, notes: str | None, actor: str, now: datetime
    ) -> tuple[Order, OrderEvent | None]:
        """The order after an admin's update: ``status`` (its own, or the next fulfilment step of ADMIN_MOVES,
        else Conflict) and ``notes``, with the one event recording the change (None when nothing changed)."""
        errors = _notes_errors(notes)
        if errors:
            raise ValidationFailed(errors)
        moved = status is not self.status
        if moved and ADMIN_MOVES.get(self.status) is not status:
            onward = ADMIN_MOVES.get(self.status)
            raise Conflict(
                f"An order {self.status} cannot become {status}",
                details={"reason": f"an admin moves an order {self.status} to: {onward or 'nothing'}"},
            )
        noted = notes != self.notes
        if not moved and not noted:
            return self, None
        kind = _KIND_OF_STATUS[status] if moved else EventKind.AMENDED
        detail = "by an admin" + ("; changed notes" if moved and noted else ": changed notes" if noted else "")
        return replace(self, notes=notes)._next(kind, status, actor, now, None, detail)

    def deleted(self, actor: str, now: datetime) -> Order:
        """The soft-deleted next version (Conflict unless the order is DELIVERED, FAILED or CANCELLED)."""
        if self.status not in TERMINAL:
            raise Conflict(
                f"An order {self.status} cannot be deleted",
                details={"reason": f"only an order {_names(TERMINAL)} can be deleted; cancel it first"},
            )
        return replace(self, deleted_at=now, version=self.version + 1, updated_at=now, updated_by=actor)

    def _next(
        self,
        kind: EventKind,
        status: OrderStatus,
        actor: str,
        now: datetime,
        payment_status: PaymentStatus | None,
        detail: str | None,
    ) -> tuple[Order, OrderEvent]:
        sequence = self.sequence + 1
        event = OrderEvent(
            self.id, sequence, kind, self.status, status, now, actor, payment_status, _cut(detail, DETAIL_MAX)
        )
        moved = replace(
            self,
            status=status,
            payment_status=payment_status or self.payment_status,
            version=self.version + 1,
            sequence=sequence,
            updated_at=now,
            updated_by=actor,
            history=(*self.history, event),
        )
        return moved, event


@dataclass(frozen=True, slots=True)
class Cancellation:
    """What cancelling an order does besides moving it: stock to give back and a refund to ask for."""

    order: Order
    event: OrderEvent
    release_stock: bool
    refund: bool


def cancel(order: Order, actor: str, now: datetime) -> Cancellation:
    """Cancel ``order`` (PENDING, RESERVED or CONFIRMED; else Conflict): its stock is released when it was held,
    and a refund is requested when the payment was authorized or captured. The event says who cancelled: the
    customer (``actor`` is the order's owner) or an admin (anyone else who reaches the order)."""
    refund = order.payment_status in PAID
    who = "the customer" if actor == str(order.user_id) else "an admin"
    cancelled, event = order.moved_to(
        OrderStatus.CANCELLED,
        actor,
        now,
        payment_status=PaymentStatus.REFUND_REQUESTED if refund else None,
        detail=f"cancelled by {who}",
    )
    return Cancellation(cancelled, event, release_stock=order.status in HOLDS_STOCK, refund=refund)


def item_field(index: int, name: str) -> str:
    """The name of field ``name`` of the order's item ``index`` in an error's ``details``: the dotted path,
    ``items.0.quantity``, as the request models name it and as every other field of the API is named
    (``price.amount``, ``shipping_address.line1``)."""
    return f"items.{index}.{name}"


def request_errors(
    lines: Sequence[tuple[UUID, int]], address: Address, payment_token: str, notes: str | None
) -> list[FieldError]:
    """Every broken rule of an order request that needs no catalogue: 1..100 lines, each product once with a
    quantity 1..1000, a valid address, a payment token, notes within their length."""
    errors: list[FieldError] = []
    if not ITEMS_MIN <= len(lines) <= ITEMS_MAX:
        errors.append(FieldError("items", ErrorCode.OUT_OF_RANGE, f"must hold {ITEMS_MIN} to {ITEMS_MAX} items"))
    seen: set[UUID] = set()
    for n, (product_id, quantity) in enumerate(lines[:ITEMS_MAX]):
        if not QUANTITY_MIN <= quantity <= QUANTITY_MAX:
            errors.append(
                FieldError(
                    item_field(n, "quantity"), ErrorCode.OUT_OF_RANGE, f"must be {QUANTITY_MIN} to {QUANTITY_MAX}"
                )
            )
        if product_id in seen:
            errors.append(
                FieldError(
                    item_field(n, "product_id"), ErrorCode.INVALID_FORMAT, "names a product already in the order"
                )
            )
        seen.add(product_id)
    errors += address_errors(address, SHIPPING)
    if not payment_token.strip():
        errors.append(FieldError("payment_token", ErrorCode.OUT_OF_RANGE, "must not be blank"))
    elif len(payment_token.strip()) > PAYMENT_TOKEN_MAX:
        errors.append(
            FieldError("payment_token", ErrorCode.OUT_OF_RANGE, f"must be 1 to {PAYMENT_TOKEN_MAX} characters long")
        )
    return errors + _notes_errors(notes)


def order_errors(
    items: Sequence[OrderItem], address: Address, payment_token: str, notes: str | None
) -> list[FieldError]:
    """Every broken rule of a new order: those of its request, then one currency and a total that fits."""
    errors = request_errors([(i.product_id, i.quantity) for i in items], address, payment_token, notes)
    currencies = {i.unit_price.currency for i in items}
    if len(currencies) > 1:
        reason = f"must all be priced in one currency, not {_names(currencies)}"
        errors.append(FieldError("items", ErrorCode.INVALID_FORMAT, reason))
    elif items and not errors:
        total = sum((i.line_total.amount for i in items), Decimal(0))
        if total > TOTAL_MAX:
            errors.append(FieldError("items", ErrorCode.OUT_OF_RANGE, f"the total must be at most {TOTAL_MAX}"))
    return errors


def _notes_errors(notes: str | None) -> list[FieldError]:
    found = _length("notes", notes, 0, NOTES_MAX) if notes is not None else None
    return [found] if found is not None else []


def _length(field_name: str, value: str | None, low: int, high: int) -> FieldError | None:
    if value is not None and not low <= len(value) <= high:
        return FieldError(field_name, ErrorCode.OUT_OF_RANGE, f"must be {low} to {high} characters long")
    return None


def _names(values: Iterable[str]) -> str:
    ordered = sorted(values)
    return ", ".join(ordered) if ordered else "none"


def _cut(text: str | None, limit: int) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def check_settable(sent: Iterable[str]) -> None:
    """Forbidden (AUTH_003, ``details.field`` naming it) for the first field of ``sent`` only the server sets."""
    names = set(sent)
    for name in SERVER_SET_FIELDS:
        if name in names:
            raise Forbidden(
                f"The field {name} cannot be set by a client",
                details={"field": name, "reason": "is set by the server (order processing), never by a request"},
            )
