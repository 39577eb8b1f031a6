"""Sign-in sessions and their audit trail: refresh-token families, password resets, auth events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


@dataclass(frozen=True, slots=True)
class RefreshSession:
    """One refresh token of a family (the family is one login); the token itself is only kept as a digest.

    A token is good until it is used (rotated), revoked or expired; presenting a used one again means it
    leaked, and the whole family is revoked.
    """

    id: UUID
    tenant_id: UUID
    user_id: UUID
    family_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Whether this token may still be exchanged for a new pair."""
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class PasswordReset:
    """A single-use password reset, kept as the digest of the token mailed to the user."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Whether the reset may still set a password."""
        return self.used_at is None and now < self.expires_at


class AuthEventKind(StrEnum):
    REGISTERED = "registered"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    REFRESHED = "refreshed"
    REFRESH_REUSED = "refresh_reused"
    LOGGED_OUT = "logged_out"
    RESET_REQUESTED = "reset_requested"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an event name
    BANNED = "banned"
    UNBANNED = "unbanned"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class AuthEvent:
    """One entry of the identity audit trail (``user_id`` None: the attempt named no known account)."""

    id: UUID
    tenant_id: UUID
    user_id: UUID | None
    kind: AuthEventKind
    occurred_at: datetime
    client_ip: str | None = None
    detail: str | None = None
