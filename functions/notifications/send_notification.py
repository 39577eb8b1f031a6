"""SQS (notification queue): email the owner of an order that was confirmed, failed, cancelled, shipped or
delivered, and mail password-reset links (the consumer makes the token: none travels on the queue), once per
message however often it is delivered (NOTIFICATIONS_SENT, keyed by the message id: an order email is claimed,
sent outside any transaction, then marked sent). A failed send fails the record: it comes back, and reaches the
DLQ after maxReceiveCount."""

from __future__ import annotations

from storefront import bootstrap
from storefront.application.auth import mail_password_reset
from storefront.application.notifications import ORDER_NOTICES, notify_order
from storefront.config import DatabaseSettings, MailSettings, ResetLinkSettings, load
from storefront.consumers.entry import ConsumedMessage, sqs_entry
from storefront.messages.envelope import UnknownMessage
from storefront.messages.identity import PasswordResetRequested

load(DatabaseSettings)  # a misconfigured consumer fails its cold start, not its messages
load(MailSettings)
load(ResetLinkSettings)


class UnexpectedMessage(UnknownMessage):
    """A registered message type that does not belong on this queue: sent to the DLQ at once."""


def process(message: ConsumedMessage) -> None:
    """Send the email the message asks for (UnexpectedMessage, to the DLQ at once, for a type not of this queue)."""
    envelope = message.envelope
    if not isinstance(message.data, (*ORDER_NOTICES, PasswordResetRequested)):
        raise UnexpectedMessage(f"{envelope.type} does not belong on the notification queue")
    if isinstance(message.data, PasswordResetRequested):
        mail_password_reset(
            bootstrap.notifications(), bootstrap.reset_policy(), envelope.id, envelope.tenant_id, message.data
        )
    else:
        notify_order(bootstrap.notifications(), envelope.id, envelope.tenant_id, message.data)


handler = sqs_entry(process)
