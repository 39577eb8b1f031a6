"""NOTIFICATIONS_SENT: one row per message whose email is claimed (CLAIMED_AT) or went out (SENT_AT), keyed by
the message id."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Delete, Insert, Select, Update, delete, insert, select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import NOTIFICATIONS_SENT
from storefront.application.ports import Claim
from storefront.domain.errors import Conflict

N = NOTIFICATIONS_SENT.c


def take_over_statement(message_id: UUID, at: datetime, abandoned_before: datetime) -> Update:
    """Move an unsent claim made before ``abandoned_before`` to ``at`` (one row, or none)."""
    return (
        update(NOTIFICATIONS_SENT)
        .where(N.MESSAGE_ID == message_id, N.SENT_AT.is_(None), N.CLAIMED_AT < abandoned_before)
        .values(CLAIMED_AT=at)
    )


def sent_at_statement(message_id: UUID) -> Select[tuple[datetime | None]]:
    """The row's SENT_AT (no row: nothing)."""
    return select(N.SENT_AT).where(N.MESSAGE_ID == message_id)


def claim_statement(message_id: UUID, tenant_id: UUID, kind: str, at: datetime) -> Insert:
    """A new claim, not sent yet."""
    values = {"MESSAGE_ID": message_id, "TENANT_ID": tenant_id, "KIND": kind, "CLAIMED_AT": at, "SENT_AT": None}
    return insert(NOTIFICATIONS_SENT).values(**values)


def mark_sent_statement(message_id: UUID, at: datetime) -> Update:
    """The claim of ``message_id`` is sent."""
    return update(NOTIFICATIONS_SENT).where(N.MESSAGE_ID == message_id, N.SENT_AT.is_(None)).values(SENT_AT=at)


def release_statement(message_id: UUID) -> Delete:
    """Drop the unsent claim of ``message_id``."""
    return delete(NOTIFICATIONS_SENT).where(N.MESSAGE_ID == message_id, N.SENT_AT.is_(None))


class SqlSentNotifications:
    """Claims a message's notification by its row (the primary key refuses a second one)."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def claim(self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime) -> bool:
        row = {"MESSAGE_ID": message_id, "TENANT_ID": tenant_id, "KIND": kind, "SENT_AT": at, "CLAIMED_AT": at}
        try:
            with translated_errors():
                self._statements.write(insert(NOTIFICATIONS_SENT).values(**row))
        except Conflict:
            return False
        return True

    def claim_for_sending(
        self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime, abandoned_before: datetime
    ) -> Claim:
        # The takeover first: a concurrent twin blocks on the row, then its WHERE no longer matches.
        if self._statements.write(take_over_statement(message_id, at, abandoned_before)).rowcount == 1:
            return Claim.CLAIMED
        found = self._statements.read(sent_at_statement(message_id)).first()
        if found is not None:
            return Claim.SENT if found[0] is not None else Claim.BUSY
        try:
            with translated_errors():
                self._statements.write(claim_statement(message_id, tenant_id, kind, at))
        except Conflict:  # a twin inserted it meanwhile (this transaction is now only good for a rollback)
            return Claim.BUSY
        return Claim.CLAIMED

    def mark_sent(self, message_id: UUID, at: datetime) -> None:
        self._statements.write(mark_sent_statement(message_id, at))

    def release(self, message_id: UUID) -> None:
        self._statements.write(release_statement(message_id))
