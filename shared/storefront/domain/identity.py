"""Who is calling: the authenticated principal and its role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from storefront.domain.token_time import issued_at_ms


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


class UserStatus(StrEnum):
    """Whether an account may act: a banned one cannot sign in, and its sessions have ended."""

    ACTIVE = "active"
    BANNED = "banned"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user (or service) of one tenant."""

    user_id: str
    username: str
    role: Role
    tenant_id: UUID
    consumer: str = ""
    # The access token's own id (``jti``), issue time (``iat``, whole seconds rounded up) and login session
    # (``sid``: its refresh-token family), which the revocation checks need; None when the token has none.
    token_id: str | None = None
    issued_at: int | None = None
    session_id: str | None = None

    @property
    def issued_at_ms(self) -> int:
        """When the token was issued, to the millisecond where its ``jti`` tells (``token_time.issued_at_ms``)."""
        return issued_at_ms(self.token_id, self.issued_at)

    @property
    def subject_id(self) -> UUID | None:
        """The user the token names (its ``sub`` as a UUID); None when it names none (a service's subject)."""
        try:
            return UUID(self.user_id)
        except ValueError:
            return None

    def may_reach(self, owner_id: UUID) -> bool:
        """Whether the caller may reach a resource of its tenant owned by ``owner_id``: its owner or an admin
        (the contract's ``O``). The caller scopes the read to the principal's tenant."""
        return self.role is Role.ADMIN or self.subject_id == owner_id
