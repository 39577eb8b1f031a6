"""The internal routes over HTTP: their bodies, answers and OpenAPI security (IAM, then a service key)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from storefront.domain.identity import Principal, Role
from storefront.http.openapi import SERVICE_KEY_SCHEME, SERVICE_NAME_SCHEME, SIGV4_SCHEME, envelope

INTERNAL_TAG = "internal"
# IAM (SigV4, which API Gateway checks) AND the service's name and key.
INTERNAL: list[dict[str, list[str]]] = [{SIGV4_SCHEME: [], SERVICE_NAME_SCHEME: [], SERVICE_KEY_SCHEME: []}]
ACCESS_TOKEN_MAX = 4096


class TokenIn(BaseModel):
    """The access token to check."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=ACCESS_TOKEN_MAX)


class PrincipalOut(BaseModel):
    """Whose a valid token is."""

    user_id: str
    username: str
    role: Role
    tenant_id: UUID
    token_id: str | None
    issued_at: int | None = Field(description="The token's iat (seconds since the epoch).")


PrincipalEnvelope = envelope("PrincipalEnvelope", PrincipalOut)


def present_principal(principal: Principal) -> dict[str, Any]:
    """A validated token's principal."""
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "role": principal.role.value,
        "tenant_id": str(principal.tenant_id),
        "token_id": principal.token_id,
        "issued_at": principal.issued_at,
    }


class ProcessIn(BaseModel):
    """The order to re-drive."""

    model_config = ConfigDict(extra="forbid")

    order_id: UUID


class ReprocessedOut(BaseModel):
    """The order whose processing message was sent again."""

    order_id: UUID
    status: Literal["PENDING"]
    queued: Literal["order-processing"]


ReprocessedEnvelope = envelope("ReprocessedEnvelope", ReprocessedOut)
