"""Order emails (confirmed, failed, cancelled, shipped, delivered), sent once per message however often it is delivered.

Claim, send, mark, each step on its own: no database transaction stays open while the email service is
called. The message's row in NOTIFICATIONS_SENT is claimed (CLAIMED_AT) and committed; the email is sent;
the row is marked sent (SENT_AT) in a second short transaction. A repeat that finds the row sent does
nothing; one that finds a fresh claim (a twin sending right now) fails and comes back later, by when the
row is sent; a send that fails drops the claim, so the next delivery sends at once. A crash (or a lost
commit) after the claim and before the mark leaves a claim nobody marks: the message was not acknowledged,
so it comes back, and a claim older than CLAIM_ABANDONED_AFTER (longer than the consumer may run) is taken
over and the email sent: at least once, never zero, twice only when the crash fell after the send. See
ARCHITECTURE.md. Every value from a user or the catalogue is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from storefront.application.ports import Claim, Email, NotificationPorts
from storefront.domain.errors import AppError, ErrorCode
from storefront.domain.orders import Order, PaymentStatus
from storefront.domain.users import User
from storefront.messages.envelope import MessageData
from storefront.messages.orders import OrderCancelled, OrderConfirmed, OrderDelivered, OrderFailed, OrderShipped
from storefront.observability import logger

# The order messages that become an email to the order's owner.
ORDER_NOTICES = (OrderConfirmed, OrderFailed, OrderCancelled, OrderShipped, OrderDelivered)

# A claim this old was left by an invocation that has ended (the consumer's timeout is 30 s): taken over.
CLAIM_ABANDONED_AFTER = timedelta(seconds=90)


class NotificationBusy(AppError):
    code = ErrorCode.CONFLICT
    default_message = "This message's email is being sent by another delivery"


FAILURE_REASONS = {
    "out_of_stock": "some of its items are no longer in stock; nothing was charged",
    "payment_declined": "the payment was declined; nothing was charged",
}


@dataclass(frozen=True, slots=True)
class OrderNotice:
    """What an order email says, besides the order itself: its subject and its one-paragraph news."""

    subject: str
    news: str


def notify_order(ports: NotificationPorts, message_id: UUID, tenant_id: UUID, data: MessageData) -> bool:
    """Email the owner of the order ``data`` names (order.confirmed, .failed, .cancelled, .shipped, .delivered)
    unless the message ``message_id`` was already notified; True when an email went out. ValueError for another type."""
    order_id = getattr(data, "order_id", None)
    if not isinstance(data, ORDER_NOTICES) or not isinstance(order_id, UUID):
        raise ValueError(f"not an order notification: {type(data).__name__}")
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        owner = uow.users.get(tenant_id, order.user_id) if order is not None else None
        if order is None or owner is None:
            logger.warning("no order or owner to notify", extra={"order_id": str(order_id)})
            return False
        kind = type(data).__name__
        claim = uow.notifications_sent.claim_for_sending(message_id, tenant_id, kind, now, now - CLAIM_ABANDONED_AFTER)
        if claim is Claim.SENT:
            logger.info("already notified", extra={"order_id": str(order_id)})
            return False
        if claim is Claim.BUSY:
            raise NotificationBusy()  # the message comes back after its visibility timeout
        uow.commit()
    try:
        ports.notifier.send(order_email(owner, order, notice(data, order)))
    except Exception:
        _release(ports, message_id)
        raise
    with ports.unit_of_work() as uow:
        uow.notifications_sent.mark_sent(message_id, ports.clock.now())
        uow.commit()
    return True


def _release(ports: NotificationPorts, message_id: UUID) -> None:
    """Drop the claim of a send that failed; when that fails too, the claim is taken over once abandoned."""
    try:
        with ports.unit_of_work() as uow:
            uow.notifications_sent.release(message_id)
            uow.commit()
    except Exception:
        logger.warning("could not release a failed send's claim", exc_info=True)


def notice(data: MessageData, order: Order) -> OrderNotice:
    """The subject and news of an order message."""
    short = str(order.id)[:8]
    if isinstance(data, OrderConfirmed):
        return OrderNotice(f"Your order {short} is confirmed", "We have your payment and your order is confirmed.")
    if isinstance(data, OrderShipped):
        return OrderNotice(f"Your order {short} has shipped", "Your order is on its way." + _shop_notes(order))
    if isinstance(data, OrderDelivered):
        delivered = "Your order was delivered. Thank you for shopping."
        return OrderNotice(f"Your order {short} was delivered", delivered + _shop_notes(order))
    if isinstance(data, OrderFailed):
        reason = FAILURE_REASONS.get(data.reason, "it could not be completed")
        return OrderNotice(f"Your order {short} could not be completed", f"Your order failed: {reason}.")
    refund = order.payment_status in (PaymentStatus.REFUND_REQUESTED, PaymentStatus.REFUNDED)
    news = "Your order was cancelled." + (" Your payment will be refunded." if refund else "")
    return OrderNotice(f"Your order {short} was cancelled", news)


def _shop_notes(order: Order) -> str:
    """The order's notes as the fulfilment left them (a tracking number, say), for the shipped and delivered
    emails; nothing when there are none."""
    return f" Notes: {order.notes}" if order.notes else ""


def order_email(owner: User, order: Order, notice: OrderNotice) -> Email:
    """The plain-text and HTML email of ``notice`` about ``order`` to its owner."""
    name = owner.identity.full_name or owner.identity.username
    lines = [f"  {i.quantity} x {i.name} ({i.sku}): {i.line_total.amount} {i.line_total.currency}" for i in order.items]
    total = f"{order.total.amount} {order.total.currency}"
    text = (
        f"Hello {name},\n\n{notice.news}\n\nOrder {order.id} ({order.status}):\n"
        + "\n".join(lines)
        + f"\n  Total: {total}\n"
    )
    rows = "".join(
        f"<tr><td>{i.quantity}</td><td>{_e(i.name)} ({_e(i.sku)})</td>"
        f"<td>{i.line_total.amount} {_e(i.line_total.currency)}</td></tr>"
        for i in order.items
    )
    body = (
        f"<p>Hello {_e(name)},</p><p>{_e(notice.news)}</p><p>Order {order.id} ({_e(order.status)}):</p>"
        f"<table>{rows}<tr><td></td><td>Total</td><td>{_e(total)}</td></tr></table>"
    )
    return Email(to=owner.identity.email, subject=notice.subject, text=text, html=body)


def _e(value: str) -> str:
    return html.escape(value, quote=True)
