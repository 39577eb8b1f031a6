"""NOTIFICATIONS_SENT: one row per message whose email went out, keyed by the message id."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import insert

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import NOTIFICATIONS_SENT
from storefront.domain.errors import Conflict


class SqlSentNotifications:
    """Claims a message's notification by inserting its row in the unit's transaction (the primary key refuses
    a second one)."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def claim(self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime) -> bool:
        row = {"MESSAGE_ID": message_id, "TENANT_ID": tenant_id, "KIND": kind, "SENT_AT": at}
        try:
            with translated_errors():
                self._statements.write(insert(NOTIFICATIONS_SENT).values(**row))
        except Conflict:
            return False
        return True
