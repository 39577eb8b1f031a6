"""The public auth routes over HTTP: request bodies, the token pair, the tenant and client of a request."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel, ConfigDict, Field

from storefront.application.auth import TokenPair
from storefront.config import AuthSettings, DatabaseSettings, IssuerSettings, RedisRequiredSettings, TokenSettings, load
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.users import EMAIL_MAX, FULL_NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN
from storefront.http.openapi import envelope
from storefront.http.request_body import RequestBody, StrictBody

AUTH_TAG = "auth"
TOKEN_MAX = 128  # an opaque reset token is 43 characters; anything far longer is not one of ours
# A refresh token is 43 characters too, but a client that sends the wrong one (its access token, a JWT of some
# hundreds) is told so as for any unknown token (401 AUTH_001), so the bound is only against abuse: 4 KiB.
REFRESH_TOKEN_MAX = 4096
# Answers of the auth routes carry credentials: never stored by a browser or a proxy.
TENANT_HEADER_HELP = "The tenant to sign in to (a UUID); without it, the deployment's default tenant."
TenantHeader = Annotated[str | None, Header(alias="x-tenant-id", description=TENANT_HEADER_HELP)]
# What a function that signs tokens (login, refresh) checks at cold start.
ISSUER_REQUIRES = (AuthSettings, IssuerSettings, TokenSettings, DatabaseSettings, RedisRequiredSettings)


class RegisterIn(RequestBody):
    """A new account; the password is 12 to 128 characters, not the email or username, not a common one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "username": "ada",
                    "password": "correct horse battery staple",
                    "full_name": "Ada Lovelace",
                }
            ]
        }
    )

    email: str = Field(max_length=EMAIL_MAX)
    username: str = Field(min_length=USERNAME_MIN, max_length=USERNAME_MAX)
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    full_name: str = Field(min_length=1, max_length=FULL_NAME_MAX)


class LoginIn(StrictBody):
    """An email or username and its password."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"login": "demo-user", "password": "storefront-demo-user"}]}
    )

    login: str = Field(min_length=1, max_length=EMAIL_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class RefreshIn(StrictBody):
    """The refresh token of the last pair (any other string, an access token included, is an unknown one: 401)."""

    refresh_token: str = Field(min_length=1, max_length=REFRESH_TOKEN_MAX)


class ForgotPasswordIn(StrictBody):
    """The account's email."""

    email: str = Field(min_length=1, max_length=EMAIL_MAX)


class ResetPasswordIn(StrictBody):
    """The token from the reset email and the new password."""

    token: str = Field(min_length=1, max_length=TOKEN_MAX)
    new_password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class TokenPairOut(BaseModel):
    """An access token (Bearer, HS256) and the opaque refresh token that renews it."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")


TokenPairEnvelope = envelope("TokenPairEnvelope", TokenPairOut)


def present_pair(pair: TokenPair) -> dict[str, Any]:
    """The contract's token answer."""
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
    }


class AcceptedOut(BaseModel):
    """What an always-accepted request answers."""

    message: str


AcceptedEnvelope = envelope("AcceptedEnvelope", AcceptedOut)
ACCEPTED = {"message": "If the email names an account, a reset link is on its way to it."}


def client_ip(event: APIGatewayProxyEvent) -> str | None:
    """The client's address as the gateway saw it (API Gateway's and Kong's ``requestContext.identity``)."""
    address = event.request_context.identity.source_ip
    return str(address) if address else None


def tenant_of(tenant_header: str | None, default: UUID) -> UUID:
    """The tenant of a public auth request: X-Tenant-ID when sent (VAL_002 unless a UUID), else ``default``."""
    if tenant_header is None:
        return default
    try:
        return UUID(tenant_header.strip())
    except ValueError:
        raise ValidationFailed.single("X-Tenant-ID", ErrorCode.INVALID_FORMAT, "must be a UUID") from None


def requested_tenant(tenant_header: str | None) -> UUID:
    """The tenant of a public auth request: X-Tenant-ID when sent, else the deployment's default (``tenant_of``)."""
    return tenant_of(tenant_header, load(AuthSettings).default_tenant_id)
