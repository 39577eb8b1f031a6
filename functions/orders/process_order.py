"""SQS (order-processing queue): the saga's first step. ``order.placed`` -> the order's stock is reserved
(RESERVED, its payment requested) or, short of stock, the order FAILS with nothing reserved.

Idempotent per message and per order: the order moves only from PENDING (a conditional UPDATE), so a message
delivered again, or two containers holding it at once, change nothing the second time.
"""

from __future__ import annotations

from storefront import bootstrap
from storefront.application import saga
from storefront.config import CacheSettings, DatabaseSettings, load
from storefront.consumers.entry import ConsumedMessage, sqs_entry
from storefront.messages.envelope import UnknownMessage
from storefront.messages.orders import OrderPlaced

load(DatabaseSettings)  # a misconfigured consumer fails its cold start, not its messages
load(CacheSettings)


class UnexpectedMessage(UnknownMessage):
    """A registered message type that does not belong on this queue: sent to the DLQ at once."""


def process(message: ConsumedMessage) -> None:
    """Reserve the stock of the order ``order.placed`` names."""
    if not isinstance(message.data, OrderPlaced):
        raise UnexpectedMessage(f"{message.envelope.type} does not belong on the order-processing queue")
    saga.reserve_order(bootstrap.saga(), message.envelope.tenant_id, message.data.order_id)


handler = sqs_entry(process)
