"""Order use cases: a user's own orders (list, create, get, amend, delete, cancel).

Every change writes the order, its event and the messages it announces (outbox rows) in one transaction, and
the messages are sent after the commit: a message exists exactly when its change does, and nothing is sent for
a transaction that rolled back. A send that fails leaves the row for the relay (``application/outbox.py``).
Who reaches an order (get, amend, delete, cancel): its owner or an admin of its tenant (``Principal.may_reach``,
as for users); anyone else gets BIZ_001, as for an order that does not exist. Lists and new orders are the
caller's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from storefront.application.listing import remembered_page
from storefront.application.order_queries import OrderQuery, totals_scope
from storefront.application.outbox import publish_committed
from storefront.application.ports import OrderPorts, OrderUnitOfWork, StockLine
from storefront.application.products import forget_stock_change
from storefront.application.queries import Keyset, Page, Window
from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict, ErrorCode, FieldError, NotFound, Unauthenticated, ValidationFailed
from storefront.domain.identity import Principal, UserStatus
from storefront.domain.orders import Order, OrderEvent, OrderItem, OrderStatus, cancel, item_field, request_errors
from storefront.domain.products import Product, ProductStatus
from storefront.messages.envelope import Envelope, MessageData, Queue, envelope
from storefront.messages.orders import QUEUE_OF, OrderCancelled, OrderPlaced, RefundRequested

Outgoing = list[tuple[Queue, Envelope]]


@dataclass(frozen=True, slots=True)
class OrderLine:
    """What a client orders of one product."""

    product_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order request: the lines, where to ship, what pays for it, and optional notes."""

    lines: tuple[OrderLine, ...]
    shipping_address: Address
    payment_token: str
    notes: str | None = None


def list_orders(ports: OrderPorts, principal: Principal, query: OrderQuery) -> Page[Order]:
    """One page of the caller's own live orders, by offset or after a cursor (VAL_002 for a foreign cursor),
    each with its items and history; the capped total is remembered until one of the user's orders changes."""
    query.validate()
    user_id = owner_id(principal)
    listing = query.listing(principal.tenant_id, user_id)

    def read(after: Keyset | None, known_matches: int | None) -> Window[Order]:
        with ports.unit_of_work() as uow:
            return uow.orders.search(principal.tenant_id, user_id, query, after, known_matches=known_matches)

    return remembered_page(ports.totals, totals_scope(principal.tenant_id, user_id), listing, query, read)


def create_order(ports: OrderPorts, principal: Principal, request: NewOrder) -> Order:
    """Place a PENDING order priced from the catalogue now (422 naming the item for a product that is missing,
    not for sale or in another currency; 422 BIZ_003 for a quantity over the current stock, which is not taken
    here: the saga reserves it). The caller must be a live, active user of the tenant (``_check_buyer``). The
    order, its items, its first event and ``order.placed`` are one transaction; the message is sent after the
    commit."""
    user_id = buyer_id(principal)
    check_request(request)
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        _check_buyer(uow, principal.tenant_id, user_id)
        catalogue = uow.orders.catalogue(principal.tenant_id, [line.product_id for line in request.lines])
        order, event = placed_order(principal, user_id, request, catalogue, now)
        uow.orders.add(order, event)
        outgoing = write_messages(uow, order, [OrderPlaced(order_id=order.id)])
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id, user_id))
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, outgoing)
    return order


def check_request(request: NewOrder) -> None:
    """ValidationFailed listing every broken rule of an order request that needs no catalogue."""
    pairs = [(line.product_id, line.quantity) for line in request.lines]
    errors = request_errors(pairs, request.shipping_address, request.payment_token, request.notes)
    if errors:
        raise ValidationFailed(errors)


def placed_order(
    principal: Principal, user_id: UUID, request: NewOrder, catalogue: Mapping[UUID, Product], now: datetime
) -> tuple[Order, OrderEvent]:
    """A PENDING order of ``user_id`` priced from ``catalogue`` now, and its first event (``priced_items``' 422s)."""
    return Order.place(
        tenant_id=principal.tenant_id,
        user_id=user_id,
        items=priced_items(request.lines, catalogue),
        shipping_address=request.shipping_address,
        payment_token=request.payment_token,
        notes=request.notes,
        actor=principal.user_id,
        now=now,
    )


def priced_items(lines: Sequence[OrderLine], catalogue: Mapping[UUID, Product]) -> list[OrderItem]:
    """The order's items at the catalogue's current prices; 422 naming each line whose product is missing (deleted,
    another tenant's) or not for sale, then (only when every product is orderable) BIZ_003 naming each quantity
    over the product's current stock. Mixed currencies are the domain's rule (``Order.place``)."""
    errors: list[FieldError] = []
    for n, line in enumerate(lines):
        product = catalogue.get(line.product_id)
        if product is None:
            errors.append(FieldError(item_field(n, "product_id"), ErrorCode.INVALID_FORMAT, "names no product"))
        elif product.details.status is not ProductStatus.ACTIVE:
            reason = f"is {product.details.status}: not for sale"
            errors.append(FieldError(item_field(n, "product_id"), ErrorCode.INVALID_FORMAT, reason))
    if errors:
        raise ValidationFailed(errors)
    short = [
        FieldError(item_field(n, "quantity"), ErrorCode.LIMIT_EXCEEDED, f"exceeds the current stock ({stock})")
        for n, line in enumerate(lines)
        if line.quantity > (stock := catalogue[line.product_id].details.stock)
    ]
    if short:
        raise ValidationFailed(short, "Quantity exceeds the current stock")
    return [
        OrderItem(
            product_id=line.product_id,
            sku=catalogue[line.product_id].details.sku,
            name=catalogue[line.product_id].details.name,
            quantity=line.quantity,
            unit_price=catalogue[line.product_id].details.price,
        )
        for line in lines
    ]


def get_order(ports: OrderPorts, principal: Principal, order_id: UUID) -> Order:
    """A live order of the tenant with its items and history, for its owner or an admin (BIZ_001 when absent or
    someone else's)."""
    with ports.unit_of_work() as uow:
        return reachable(uow, principal, order_id)


def amend_order(
    ports: OrderPorts,
    principal: Principal,
    order_id: UUID,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> Order:
    """Change the shipping address and/or notes of a PENDING order (BIZ_002 when it is past PENDING or
    ``expected_version`` is stale)."""
    with ports.unit_of_work() as uow:
        current = reachable(uow, principal, order_id)
        check_version(current, expected_version)
        amended, event = current.amended(changes, principal.user_id, ports.clock.now())
        store_change(uow, amended, current, event)
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id, current.user_id))
    return amended


def delete_order(ports: OrderPorts, principal: Principal, order_id: UUID, expected_version: int | None) -> None:
    """Soft-delete an order that is DELIVERED, FAILED or CANCELLED (BIZ_002 otherwise): then 404, gone from lists."""
    with ports.unit_of_work() as uow:
        current = reachable(uow, principal, order_id)
        check_version(current, expected_version)
        store_change(uow, current.deleted(principal.user_id, ports.clock.now()), current, None)
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id, current.user_id))


def cancel_order(ports: OrderPorts, principal: Principal, order_id: UUID, expected_version: int | None) -> Order:
    """Cancel a PENDING, RESERVED or CONFIRMED order (BIZ_002 otherwise). In the same transaction: the stock it
    held goes back (from RESERVED or CONFIRMED), a refund is asked of the payment queue when the payment was
    authorized or captured, and ``order.cancelled`` goes to the notification queue."""
    with ports.unit_of_work() as uow:
        current = reachable(uow, principal, order_id)
        check_version(current, expected_version)
        now = ports.clock.now()
        outcome = cancel(current, principal.user_id, now)
        store_change(uow, outcome.order, current, outcome.event)
        if outcome.release_stock:
            lines = [StockLine(i.product_id, i.quantity) for i in current.items]
            uow.orders.release_stock(principal.tenant_id, lines, now)
        messages: list[MessageData] = [OrderCancelled(order_id=current.id)]
        if outcome.refund:
            messages.append(RefundRequested(order_id=current.id))
        outgoing = write_messages(uow, outcome.order, messages)
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id, current.user_id))
    if outcome.release_stock:
        forget_stock_change(ports.cache, ports.totals, principal.tenant_id, [i.product_id for i in current.items])
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, outgoing)
    return outcome.order


def owner_id(principal: Principal) -> UUID:
    """The caller's user id (a token's ``sub`` is a UUID; anything else owns no order)."""
    found = principal.subject_id
    if found is None:
        raise NotFound("Order not found")
    return found


def buyer_id(principal: Principal) -> UUID:
    """The caller's account id; BIZ_001 "User not found" when the token names no user (a service's subject),
    as the profile routes answer."""
    found = principal.subject_id
    if found is None:
        raise NotFound("User not found")
    return found


def _check_buyer(uow: OrderUnitOfWork, tenant_id: UUID, user_id: UUID) -> None:
    """Only an existing, active account orders: none (never one, deleted) is BIZ_001 "User not found", as the
    profile routes answer such a token; a banned one is AUTH_001, as every route answers a banned account's
    tokens (a ban ends its sessions)."""
    status = uow.orders.account_status(tenant_id, user_id)
    if status is None:
        raise NotFound("User not found")
    if status is not UserStatus.ACTIVE:
        raise Unauthenticated()


def reachable(uow: OrderUnitOfWork, principal: Principal, order_id: UUID) -> Order:
    """The tenant's live order when the caller is its owner or an admin (who reaches any of the tenant's);
    BIZ_001 otherwise."""
    order = uow.orders.get(principal.tenant_id, order_id)
    if order is None or not principal.may_reach(order.user_id):
        raise NotFound("Order not found")
    return order


def check_version(current: Order, expected_version: int | None) -> None:
    """BIZ_002 naming the current version when ``expected_version`` is given and stale."""
    if expected_version is not None and expected_version != current.version:
        raise stale_order(current.version)


def store_change(uow: OrderUnitOfWork, changed: Order, current: Order, event: OrderEvent | None) -> None:
    """Store ``changed`` (and append ``event``) over ``current``; BIZ_002 when someone changed it first."""
    if not uow.orders.update(changed, current, event):
        raise stale_order(None)


def stale_order(current_version: int | None) -> Conflict:
    """BIZ_002 for a change based on an old version of an order (with the current one when known)."""
    details: dict[str, Any] = {"reason": "the order was changed by someone else; read it again and retry"}
    if current_version is not None:
        details["current_version"] = current_version
    return Conflict("Version conflict", details=details)


def reprocess_order(ports: OrderPorts, tenant_id: UUID, order_id: UUID) -> Order:
    """Send a PENDING order's order-processing message (``order.placed``) again, through the outbox like the
    first one (``POST /api/v1/internal/orders/process``): a message lost or dead-lettered is replaced. Idempotent:
    the saga takes only a PENDING order, so a message sent twice reserves its stock once. BIZ_001 for an order
    of no user of the tenant, BIZ_002 for one already past PENDING (nothing left to re-drive)."""
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        if order is None:
            raise NotFound("Order not found")
        if order.status is not OrderStatus.PENDING:
            reason = f"the order is {order.status.value}: only a PENDING order waits for processing"
            raise Conflict("Nothing to re-drive", details={"field": "order_id", "reason": reason})
        outgoing = write_messages(uow, order, [OrderPlaced(order_id=order.id)])
        uow.commit()
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, outgoing)
    return order


def placed_messages(orders: Sequence[Order]) -> Outgoing:
    """The ``order.placed`` message of each new order, for the outbox (written with the orders)."""
    return [
        (QUEUE_OF[OrderPlaced], envelope(OrderPlaced(order_id=o.id), tenant_id=o.tenant_id, occurred_at=o.updated_at))
        for o in orders
    ]


def write_messages(uow: OrderUnitOfWork, order: Order, messages: Sequence[MessageData]) -> Outgoing:
    """Put ``messages`` about ``order`` in the unit's outbox; what to send once the unit has committed."""
    outgoing: Outgoing = []
    for data in messages:
        message = envelope(data, tenant_id=order.tenant_id, occurred_at=order.updated_at)
        queue = QUEUE_OF[type(data)]
        uow.outbox.add(queue, message)
        outgoing.append((queue, message))
    return outgoing
