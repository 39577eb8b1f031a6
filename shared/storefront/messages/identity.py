"""The messages the identity use cases send (through the outbox).

``password.reset_requested`` names the account, never a token: the notification consumer creates the reset
row and its token in the transaction that sends the email, so the token exists only as its digest in the
database and in the email itself (ARCHITECTURE.md, "Password resets through the notification queue").
"""

from __future__ import annotations

from uuid import UUID

from storefront.messages.envelope import MessageData, Queue, message_type


@message_type("password.reset_requested", 1)
class PasswordResetRequested(MessageData):
    """Someone asked to reset the password of ``user_id`` (notification queue). ``user_id`` is None when the
    email named no active account: the request still writes one message, so both cost the same, and the
    consumer acknowledges it without sending anything."""

    user_id: UUID | None


RESET_QUEUE = Queue.NOTIFICATION
