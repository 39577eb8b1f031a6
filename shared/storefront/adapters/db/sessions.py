"""Refresh-token families, password resets and the auth audit trail on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.records import first_record, insert_record
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import AUTH_EVENTS, PASSWORD_RESETS, REFRESH_TOKENS
from storefront.domain.sessions import AuthEvent, PasswordReset, RefreshSession


class SqlRefreshSessions:
    """Refresh tokens by digest; rotation and revocation are conditional updates, so two concurrent
    refreshes with the same token cannot both succeed."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def add(self, session: RefreshSession) -> None:
        """Store a new refresh token of a family."""
        insert_record(self._statements, REFRESH_TOKENS, session)

    def find(self, token_hash: str) -> RefreshSession | None:
        """The refresh token with this digest, whatever its state, or None."""
        statement = select(REFRESH_TOKENS).where(REFRESH_TOKENS.c.TOKEN_HASH == token_hash)
        return first_record(self._statements, RefreshSession, statement)

    def mark_used(self, session_id: UUID, at: datetime) -> bool:
        """Rotate: mark the token used if it is still unused and unrevoked; False when someone was first."""
        statement = (
            update(REFRESH_TOKENS)
            .where(
                REFRESH_TOKENS.c.ID == session_id,
                REFRESH_TOKENS.c.USED_AT.is_(None),
                REFRESH_TOKENS.c.REVOKED_AT.is_(None),
            )
            .values(USED_AT=at)
        )
        with translated_errors():
            return bool(self._statements.write(statement).rowcount == 1)

    def revoke_family(self, family_id: UUID, at: datetime) -> int:
        """Revoke every token of a family that is not revoked yet; how many were."""
        statement = (
            update(REFRESH_TOKENS)
            .where(REFRESH_TOKENS.c.FAMILY_ID == family_id, REFRESH_TOKENS.c.REVOKED_AT.is_(None))
            .values(REVOKED_AT=at)
        )
        with translated_errors():
            return int(self._statements.write(statement).rowcount)

    def revoke_user(self, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        """Revoke every token of every family of a user (ban, password reset); how many were."""
        statement = (
            update(REFRESH_TOKENS)
            .where(
                REFRESH_TOKENS.c.USER_ID == user_id,
                REFRESH_TOKENS.c.TENANT_ID == tenant_id,
                REFRESH_TOKENS.c.REVOKED_AT.is_(None),
            )
            .values(REVOKED_AT=at)
        )
        with translated_errors():
            return int(self._statements.write(statement).rowcount)


class SqlPasswordResets:
    """Password resets by digest; consuming one is a conditional update (single use under concurrency)."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def add(self, reset: PasswordReset) -> None:
        """Store a new reset."""
        insert_record(self._statements, PASSWORD_RESETS, reset)

    def find(self, token_hash: str) -> PasswordReset | None:
        """The reset with this digest, whatever its state, or None."""
        statement = select(PASSWORD_RESETS).where(PASSWORD_RESETS.c.TOKEN_HASH == token_hash)
        return first_record(self._statements, PasswordReset, statement)

    def mark_used(self, reset_id: UUID, at: datetime) -> bool:
        """Consume the reset if nobody has; False when it was already used."""
        statement = (
            update(PASSWORD_RESETS)
            .where(PASSWORD_RESETS.c.ID == reset_id, PASSWORD_RESETS.c.USED_AT.is_(None))
            .values(USED_AT=at)
        )
        with translated_errors():
            return bool(self._statements.write(statement).rowcount == 1)

    def void_user(self, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        """Use up every unused reset of the user (a password was just set); how many there were."""
        statement = (
            update(PASSWORD_RESETS)
            .where(
                PASSWORD_RESETS.c.USER_ID == user_id,
                PASSWORD_RESETS.c.TENANT_ID == tenant_id,
                PASSWORD_RESETS.c.USED_AT.is_(None),
            )
            .values(USED_AT=at)
        )
        with translated_errors():
            return int(self._statements.write(statement).rowcount)


class SqlAuthEvents:
    """The append-only identity audit trail."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def record(self, event: AuthEvent) -> None:
        """Append one event (inside the unit's transaction, so it commits with what it describes)."""
        row: dict[str, Any] = {
            "ID": event.id,
            "TENANT_ID": event.tenant_id,
            "USER_ID": event.user_id,
            "KIND": event.kind.value,
            "CLIENT_IP": event.client_ip,
            "OCCURRED_AT": event.occurred_at,
            "DETAIL": event.detail,
        }
        with translated_errors():
            self._statements.write(insert(AUTH_EVENTS).values(**row))
