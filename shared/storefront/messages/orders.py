"""The messages the order use cases send (through the outbox), each registered with its queue.

Data stays minimal: ids only. A consumer reads the rest from the database, so a message never carries a
stale copy of an order, and a payment token never travels on a queue.
"""

from __future__ import annotations

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


# Where each type goes.
QUEUE_OF: dict[type[MessageData], Queue] = {
    OrderPlaced: Queue.ORDER_PROCESSING,
    OrderCancelled: Queue.NOTIFICATION,
    RefundRequested: Queue.PAYMENT,
}
