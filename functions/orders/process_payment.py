"""SQS (payment queue): ``payment.charge_requested`` charges a RESERVED order (CONFIRMED, or FAILED with its
stock back); ``payment.refund_requested`` gives a cancelled order's money back.

When the provider cannot decide now (it timed out, failed, or its circuit breaker is open) the message is sent
again to the payment queue with a delay (the breaker's remaining open time, else a minute) and the original is
acknowledged: the message is never lost, and a provider outage does not use up its maxReceiveCount receives
(each failed receive would count; a re-sent message starts at zero). Only a message older than
``saga.DEFER_FOR_AT_MOST``, or one that cannot be re-sent, fails and comes back the usual way. Never charged
twice: every attempt uses the idempotency key ``charge:<order_id>``, and the order settles by a conditional move.
A cancelled order whose charge never answered is not charged again: past its grace period (deferred until then,
``saga.ChargeProbeNotDue``) the refund of that charge by its key settles it (``saga.resolve_cancelled_charge``).
"""

from __future__ import annotations

from storefront import bootstrap
from storefront.application import saga
from storefront.config import CacheSettings, DatabaseSettings, PaymentSettings, load
from storefront.consumers.entry import ConsumedMessage, sqs_entry
from storefront.domain.errors import ExternalError, ExternalTimeout, ExternalUnavailable
from storefront.messages.envelope import Queue, UnknownMessage
from storefront.messages.orders import ChargeRequested, RefundRequested

load(DatabaseSettings)  # a misconfigured consumer fails its cold start, not its messages
load(CacheSettings)
load(PaymentSettings)


class UnexpectedMessage(UnknownMessage):
    """A registered message type that does not belong on this queue: sent to the DLQ at once."""


def process(message: ConsumedMessage) -> None:
    """Charge or refund the order the message names; defer it when the provider cannot answer now."""
    ports, tenant_id, data = bootstrap.saga(), message.envelope.tenant_id, message.data
    try:
        if isinstance(data, ChargeRequested):
            saga.charge_order(ports, bootstrap.payment_gateway(), tenant_id, data.order_id)
        elif isinstance(data, RefundRequested):
            saga.refund_order(ports, bootstrap.payment_gateway(), tenant_id, data.order_id)
        else:
            raise UnexpectedMessage(f"{message.envelope.type} does not belong on the payment queue")
    except (ExternalTimeout, ExternalError, ExternalUnavailable) as error:
        if not saga.defer(ports.publisher, Queue.PAYMENT, message.envelope, error, ports.clock.now()):
            raise


handler = sqs_entry(process)
