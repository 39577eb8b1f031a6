"""Order emails (confirmed, failed, cancelled, shipped, delivered), sent once per message however often it is delivered.

The message's row in NOTIFICATIONS_SENT is claimed, the email sent, and the claim committed, in that order and
in one transaction: a repeat delivered after the commit finds the row and sends nothing; one delivered while
the first is sending waits on the row and then finds it; a send that fails rolls the claim back, so the
message comes back and the email is tried again. (A commit lost after a successful send is the one case where
an email goes twice: at-least-once, never zero.) Every value from a user or the catalogue is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from uuid import UUID

from storefront.application.ports import Email, NotificationPorts
from storefront.domain.orders import Order, PaymentStatus
from storefront.domain.users import User
from storefront.messages.envelope import MessageData
from storefront.messages.orders import OrderCancelled, OrderConfirmed, OrderDelivered, OrderFailed, OrderShipped
from storefront.observability import logger

# The order messages that become an email to the order's owner.
ORDER_NOTICES = (OrderConfirmed, OrderFailed, OrderCancelled, OrderShipped, OrderDelivered)
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
    with ports.unit_of_work() as uow:
        order = uow.orders.get(tenant_id, order_id)
        owner = uow.users.get(tenant_id, order.user_id) if order is not None else None
        if order is None or owner is None:
            logger.warning("no order or owner to notify", extra={"order_id": str(order_id)})
            return False
        kind = type(data).__name__
        if not uow.notifications_sent.claim(message_id, tenant_id, kind, ports.clock.now()):
            logger.info("already notified", extra={"order_id": str(order_id)})
            return False
        ports.notifier.send(order_email(owner, order, notice(data, order)))
        uow.commit()
    return True


def notice(data: MessageData, order: Order) -> OrderNotice:
    """The subject and news of an order message."""
    short = str(order.id)[:8]
    if isinstance(data, OrderConfirmed):
        return OrderNotice(f"Your order {short} is confirmed", "We have your payment and your order is confirmed.")
    if isinstance(data, OrderShipped):
        return OrderNotice(f"Your order {short} has shipped", "Your order is on its way.")
    if isinstance(data, OrderDelivered):
        return OrderNotice(f"Your order {short} was delivered", "Your order was delivered. Thank you for shopping.")
    if isinstance(data, OrderFailed):
        reason = FAILURE_REASONS.get(data.reason, "it could not be completed")
        return OrderNotice(f"Your order {short} could not be completed", f"Your order failed: {reason}.")
    refund = order.payment_status in (PaymentStatus.REFUND_REQUESTED, PaymentStatus.REFUNDED)
    news = "Your order was cancelled." + (" Your payment will be refunded." if refund else "")
    return OrderNotice(f"Your order {short} was cancelled", news)


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
