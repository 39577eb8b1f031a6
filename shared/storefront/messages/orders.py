"""The messages the order use cases send (through the outbox), each registered with its queue.

Data stays minimal: ids only. A consumer reads the rest from the database, so a message never carries a
stale copy of an order, and a payment token never travels on a queue.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from storefront.messages.envelope import MessageData, Queue, message_type


@message_type("order.placed", 1)
class OrderPlaced(MessageData):
    """A new PENDING order: the saga reserves its stock (order-processing queue)."""

    order_id: UUID


@message_type("order.cancelled", 1)
class OrderCancelled(MessageData):
    """A cancelled order: its owner is told (notification queue)."""

    order_id: UUID


@message_type("payment.refund_requested", 1)
class RefundRequested(MessageData):
    """A cancelled order whose payment was authorized or captured: give the money back (payment queue)."""

    order_id: UUID


@message_type("payment.charge_requested", 1)
class ChargeRequested(MessageData):
    """A RESERVED order whose stock is held: charge it (payment queue)."""

    order_id: UUID


@message_type("order.confirmed", 1)
class OrderConfirmed(MessageData):
    """A paid order: its owner is told (notification queue)."""

    order_id: UUID


@message_type("order.shipped", 1)
class OrderShipped(MessageData):
    """An order an admin marked SHIPPED: its owner is told (notification queue)."""

    order_id: UUID


@message_type("order.delivered", 1)
class OrderDelivered(MessageData):
    """An order an admin marked DELIVERED: its owner is told (notification queue)."""

    order_id: UUID


FailureReason = Literal["out_of_stock", "payment_declined"]


@message_type("order.failed", 1)
class OrderFailed(MessageData):
    """An order that failed (stock missing, payment declined): its owner is told (notification queue)."""

    order_id: UUID
    reason: FailureReason


# Where each type goes.
QUEUE_OF: dict[type[MessageData], Queue] = {
    OrderPlaced: Queue.ORDER_PROCESSING,
    OrderCancelled: Queue.NOTIFICATION,
    RefundRequested: Queue.PAYMENT,
    ChargeRequested: Queue.PAYMENT,
    OrderConfirmed: Queue.NOTIFICATION,
    OrderFailed: Queue.NOTIFICATION,
    OrderShipped: Queue.NOTIFICATION,
    OrderDelivered: Queue.NOTIFICATION,
}
