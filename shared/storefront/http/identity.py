"""Who is calling, read the way the gateway in front of the function vouches for it.

Kong mode: Kong's jwt plugin checks the token and forwards the consumer headers; a request it could not
authenticate arrives as the anonymous consumer, so the function can answer with the precise code. The
function also verifies the token itself unless KONG_VERIFY_TOKEN is off.
API Gateway mode: the Lambda authorizer verified the token and put its claims in
``requestContext.authorizer``; consumer headers sent by a client are ignored.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from storefront.application.ports import TokenVerifier
from storefront.config import GatewaySettings
from storefront.domain.errors import AppError, Forbidden, TokenExpired, Unauthenticated
from storefront.domain.identity import Principal, Role
from storefront.domain.token_time import has_expired, is_json_number, parse_context_expiry, whole_seconds_now
from storefront.http.request_meta import header, header_values
from storefront.observability import logger

CONSUMER_ID = "x-consumer-id"
CONSUMER_USERNAME = "x-consumer-username"
CREDENTIAL = "x-credential-identifier"
ANONYMOUS = "x-anonymous-consumer"


# ``Bearer`` (Kong's jwt plugin takes [Bb]earer) and one compact JWS, base64url without padding (RFC 7515):
# the same rule as the API Gateway authorizer's ValidationExpression, so a token reads alike in both modes.
_BEARER = re.compile(r"^\s*[Bb]earer\s+([-0-9A-Za-z_]+\.[-0-9A-Za-z_]+\.[-0-9A-Za-z_]+)\s*$")


def token_of(authorization: str) -> str | None:
    """The token of an ``Authorization`` header value ``Bearer <token>``, or None when it is not one."""
    found = _BEARER.match(authorization)
    return found.group(1) if found else None


def bearer_token(event: Mapping[str, Any]) -> str | None:
    """The token of the request's one ``Authorization: Bearer <token>`` header; None for none, or for two."""
    values = header_values(event, "authorization")
    return token_of(values[0]) if len(values) == 1 else None


def principal_from_claims(claims: Mapping[str, Any], consumer: str = "") -> Principal:
    """The principal named by token claims; Unauthenticated when a claim is missing or malformed."""
    try:
        return Principal(
            user_id=str(UUID(_required(claims, "sub"))),  # ids are UUIDs: nothing else reaches the audit fields
            username=_username(claims),
            role=Role(_required(claims, "role")),
            tenant_id=UUID(_required(claims, "tenant_id")),
            consumer=consumer or str(claims.get("iss") or ""),
            token_id=_required_token_id(claims.get("jti")),
            issued_at=issued_at(claims.get("iat")),
            session_id=_optional_id(claims.get("sid"), "sid"),
        )
    except (KeyError, ValueError) as error:
        raise Unauthenticated() from error


MAX_TOKEN_ID = 128


def _required_token_id(value: object) -> str:
    """The ``jti`` claim, which must be a usable id (a non-empty string of at most 128 characters): a token
    that could not be revoked by its id is not accepted (KeyError: Unauthenticated)."""
    if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_ID:
        return value
    raise KeyError("jti")


def _username(claims: Mapping[str, Any]) -> str:
    """The ``username`` claim (a non-empty string) or, without one, the subject."""
    value = claims.get("username", claims.get("sub"))
    if isinstance(value, str) and value:
        return value
    raise KeyError("username")


def _optional_id(value: object, name: str) -> str | None:
    """An optional id claim (``sid``): absent, or a usable id like ``jti`` (KeyError: Unauthenticated)."""
    if value is None:
        return None
    if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_ID:
        return value
    raise KeyError(name)


def issued_at(value: object) -> int | None:
    """The ``iat`` claim as whole seconds rounded up (so ``iat <= t`` holds exactly when it did before, for a
    whole-second ``t``); the authorizer context's string form is read back too. None when it is not a number."""
    if is_json_number(value):
        return math.ceil(value)
    return parse_context_expiry(value)


def _required(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if value is None or str(value) == "":
        raise KeyError(name)
    return str(value)


def authenticate(
    event: Mapping[str, Any], gateway: GatewaySettings, verifier: Callable[[], TokenVerifier]
) -> Principal:
    """The authenticated caller of ``event``; Unauthenticated or TokenExpired when there is none.

    Every AUTH_001 has the same message whatever the reason (the reason goes to the log), so a caller
    learns neither whether a consumer key exists nor which check failed.
    """
    try:
        if gateway.gateway_mode == "apigw":
            # Two Authorization headers: the authorizer saw one of them, and which is not ours to know.
            if len(header_values(event, "authorization")) > 1:
                raise Unauthenticated() from RefusalReason("more than one Authorization header")
            return _from_authorizer((event.get("requestContext") or {}).get("authorizer") or {})
        return _from_kong(event, gateway, verifier)
    except AppError as refused:
        log_refusal(refused)
        raise


def iam_caller(event: Mapping[str, Any]) -> str:
    """The IAM principal (its ARN) API Gateway authenticated for an ``AWS_IAM`` route: SigV4 was checked and
    ``execute-api:Invoke`` allowed before the function was called, and ``requestContext.identity`` names the
    caller. Without one (the route lost its AWS_IAM authorization, say) the request is Unauthenticated: an
    internal route never falls open."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    arn, access_key = identity.get("userArn"), identity.get("accessKey")
    if not (isinstance(arn, str) and arn.startswith("arn:") and isinstance(access_key, str) and access_key):
        refused = Unauthenticated()
        refused.__cause__ = RefusalReason("no IAM caller in requestContext.identity")
        log_refusal(refused)
        raise refused
    return arn


def log_refusal(refused: AppError) -> None:
    """Log why a caller was refused: the refusal's cause when it has one (a client never sees it)."""
    reason = str(refused.__cause__ or refused.message)
    logger.info("token refused", extra={"error_code": refused.code.value, "reason": reason})


class RefusalReason(Exception):
    """Why a caller was refused, kept as the refusal's cause for the log."""


def _from_kong(event: Mapping[str, Any], gateway: GatewaySettings, verifier: Callable[[], TokenVerifier]) -> Principal:
    token = bearer_token(event)
    if token is None:
        raise Unauthenticated() from RefusalReason("no bearer token")
    consumer_id = header(event, CONSUMER_ID)
    vouched = bool(consumer_id) and header(event, ANONYMOUS) != "true"
    if gateway.kong_verify_token:
        claims = verifier().verify(token)  # also tells an expired token from a forged one
    else:
        claims = _unverified_claims(token)
        expires = claims.get("exp")
        if not vouched and is_json_number(expires) and has_expired(expires, whole_seconds_now()):
            raise TokenExpired()
    if not vouched:
        raise Unauthenticated() from RefusalReason("the gateway did not authenticate this request")
    credential = header(event, CREDENTIAL)
    if credential and credential != claims.get("iss"):
        raise Unauthenticated() from RefusalReason("token issuer does not match the gateway credential")
    return principal_from_claims(claims, header(event, CONSUMER_USERNAME) or "")


def _from_authorizer(authorizer: Mapping[str, Any]) -> Principal:
    """The principal the API Gateway authorizer vouched for; fails closed when ``exp`` is not there."""
    expires = parse_context_expiry(authorizer.get("exp"))
    if not authorizer.get("sub") or expires is None:
        raise Unauthenticated() from RefusalReason("authorizer context without sub or a whole-number exp")
    # The authorizer's answer is cached per token; the expiry still holds to the second.
    if has_expired(expires, whole_seconds_now()):
        raise TokenExpired()
    return principal_from_claims(authorizer)


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a token whose signature the gateway already checked (no crypto import needed)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as error:
        raise Unauthenticated() from error
    if not isinstance(claims, dict):
        raise Unauthenticated()
    return claims


def require_role(principal: Principal, *roles: Role) -> Principal:
    """The principal when it has one of ``roles``; Forbidden (AUTH_003) otherwise."""
    if principal.role not in roles:
        raise Forbidden(f"This action needs the {' or '.join(r.value for r in roles)} role")
    return principal


# Who may call a function (``lambda_entry(allow=...)``): None is public.
ANY_ROLE: tuple[Role, ...] = (Role.USER, Role.ADMIN, Role.SERVICE)
READERS = ANY_ROLE
ADMINS: tuple[Role, ...] = (Role.ADMIN,)
# The internal (IAM) routes behind Kong, where no IAM stands in front: a service's token or an admin's.
OPERATORS: tuple[Role, ...] = (Role.SERVICE, Role.ADMIN)
SERVICES: tuple[Role, ...] = (Role.SERVICE,)  # with lambda_entry(service_key=True): the contract's S routes
