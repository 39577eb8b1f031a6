"""Who is calling: the authenticated principal and its role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user (or service) of one tenant."""

    user_id: str
    username: str
    role: Role
    tenant_id: UUID
    consumer: str = ""
    # The access token's own id (``jti``) and issue time (``iat``, whole seconds rounded up), which the
    # revocation checks need; None when the token carries none.
    token_id: str | None = None
    issued_at: int | None = None
