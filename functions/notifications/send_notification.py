"""SQS (notification queue): email the owner of an order that was confirmed, failed or was cancelled, once per
message however often it is delivered (NOTIFICATIONS_SENT, keyed by the message id). A failed send fails the
record: it comes back, and reaches the DLQ after maxReceiveCount."""

from __future__ import annotations

from storefront import bootstrap
from storefront.application.notifications import notify_order
from storefront.config import DatabaseSettings, MailSettings, load
from storefront.consumers.entry import ConsumedMessage, sqs_entry

load(DatabaseSettings)  # a misconfigured consumer fails its cold start, not its messages
load(MailSettings)


def process(message: ConsumedMessage) -> None:
    """Send the email the message asks for (ValueError, to the DLQ in the end, for a type not of this queue)."""
    notify_order(bootstrap.notifications(), message.envelope.id, message.envelope.tenant_id, message.data)


handler = sqs_entry(process)
