"""The transactional outbox on SQLAlchemy Core: OUTBOX_MESSAGES.

A use case adds its messages in the transaction of its change. The relay claims unpublished rows oldest first
with ``SELECT ... FOR UPDATE SKIP LOCKED``: rows another relay's transaction holds are passed over, so two relays
never send the same row in one pass. PostgreSQL takes ``LIMIT n`` before the lock clause. Oracle refuses a row
limit with FOR UPDATE (ORA-02014), and with SKIP LOCKED it locks rows as they are fetched, so there the claim
has no limit and only ``n`` rows are fetched. SQLite has no row locks (the clause is not rendered) and needs
none: the local run has one writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, insert, select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.order_loader import chunks
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import OUTBOX_MESSAGES
from storefront.application.ports import OutboxMessage
from storefront.messages.envelope import Envelope, Queue

FETCH_LIMITED = frozenset({"oracle"})  # dialects whose claim cannot carry a row limit: fetch n rows instead


def claim_statement(limit: int, created_before: datetime, dialect_name: str) -> Select[Any]:
    """SELECT unpublished messages created before ``created_before``, oldest first, locking them and skipping
    rows locked by others; limited to ``limit`` rows except where the lock clause forbids it (Oracle)."""
    statement = (
        select(OUTBOX_MESSAGES)
        .where(OUTBOX_MESSAGES.c.PUBLISHED_AT.is_(None), OUTBOX_MESSAGES.c.CREATED_AT < created_before)
        .order_by(OUTBOX_MESSAGES.c.PUBLISHED_AT, OUTBOX_MESSAGES.c.CREATED_AT, OUTBOX_MESSAGES.c.ID)
        .with_for_update(skip_locked=True)
    )
    return statement if dialect_name in FETCH_LIMITED else statement.limit(limit)


def backlog_statement(tenant_id: UUID | None = None) -> Select[int, Any]:
    """How many messages wait to be published and when the oldest was written (IX_OUTBOX_MESSAGES_UNPUBLISHED
    starts with PUBLISHED_AT, CREATED_AT: the database reads only the unpublished entries); ``tenant_id``'s
    messages only when given."""
    statement = select(func.count(), func.min(OUTBOX_MESSAGES.c.CREATED_AT)).where(
        OUTBOX_MESSAGES.c.PUBLISHED_AT.is_(None)
    )
    return statement if tenant_id is None else statement.where(OUTBOX_MESSAGES.c.TENANT_ID == tenant_id)


def outbox_row(queue: Queue, message: Envelope) -> dict[str, Any]:
    """The OUTBOX_MESSAGES row of a message for ``queue``, not yet published."""
    return {
        "ID": message.id,
        "TENANT_ID": message.tenant_id,
        "QUEUE": queue.value,
        "MESSAGE_TYPE": message.type,
        "MESSAGE_VERSION": message.version,
        "BODY": message.to_json(),
        "CREATED_AT": message.occurred_at,
        "PUBLISHED_AT": None,
        "ATTEMPTS": 0,
    }


class SqlOutbox:
    """Outbox rows, written and claimed in the unit of work's transaction."""

    def __init__(self, statements: Statements, dialect_name: str) -> None:
        self._statements = statements
        self._dialect_name = dialect_name

    def add(self, queue: Queue, message: Envelope) -> None:
        with translated_errors():
            self._statements.write(insert(OUTBOX_MESSAGES).values(**outbox_row(queue, message)))

    def add_many(self, messages: Sequence[tuple[Queue, Envelope]]) -> None:
        with translated_errors():
            self._statements.insert_many(OUTBOX_MESSAGES, [outbox_row(queue, message) for queue, message in messages])

    def claim(self, limit: int, created_before: datetime) -> list[OutboxMessage]:
        with translated_errors():
            # A write: the claim begins the unit's transaction, which holds the locks until it ends.
            result = self._statements.write(claim_statement(limit, created_before, self._dialect_name))
            try:
                rows = result.fetchmany(limit)
            finally:
                result.close()
        return [OutboxMessage(row.ID, row.QUEUE, row.BODY, int(row.ATTEMPTS)) for row in rows]

    def mark_published(self, message_ids: Sequence[UUID], at: datetime) -> None:
        with translated_errors():
            for chunk in chunks(list(message_ids)):
                self._statements.write(
                    update(OUTBOX_MESSAGES).where(OUTBOX_MESSAGES.c.ID.in_(chunk)).values(PUBLISHED_AT=at)
                )

    def backlog(self) -> tuple[int, datetime | None]:
        with translated_errors():
            row: Any = self._statements.read(backlog_statement()).one()
        return int(row[0]), row[1]

    def mark_failed(self, message_ids: Sequence[UUID]) -> None:
        with translated_errors():
            for chunk in chunks(list(message_ids)):
                self._statements.write(
                    update(OUTBOX_MESSAGES)
                    .where(OUTBOX_MESSAGES.c.ID.in_(chunk))
                    .values(ATTEMPTS=OUTBOX_MESSAGES.c.ATTEMPTS + 1)
                )
