"""The contract's internal routes (``I``: IAM in AWS) with a service key: who is calling, and token validation.

API Gateway authenticates the caller of an internal route with IAM (SigV4, ``Auth: {Authorizer: AWS_IAM}`` in the
template) and puts the IAM principal in ``requestContext.identity.userArn``; Kong has no IAM, so the internal
routes have no Kong route at all, and a function in Kong mode refuses every internal request. The caller then
names its service and key (X-Service-Name, X-API-Key); the key, looked up by its digest, says which tenant the
call acts in (an internal caller has no token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storefront.application.ports import IssuedToken, RateLimiter, TokenVerifier
from storefront.application.service_keys import ServiceKeyVerifier
from storefront.config import GatewaySettings
from storefront.domain.errors import AppError, Unauthenticated
from storefront.domain.identity import Principal, Role
from storefront.domain.rate_limits import Window
from storefront.http.identity import RefusalReason, iam_caller, log_refusal, principal_from_claims
from storefront.http.service_auth import API_KEY_HEADER, SERVICE_NAME_HEADER, one_header

# Validating a token is a request made on its user's behalf: counted apart from the user's own requests, under a
# limit no honest service reaches, so the revocation check (the same script) has a window to consume.
VALIDATIONS = (Window(100_000, "minute"),)


def internal_caller(event: Mapping[str, Any], gateway: GatewaySettings) -> str:
    """The IAM principal API Gateway authenticated for this request (``identity.iam_caller``); AUTH_001 in Kong
    mode, where no IAM stands in front."""
    if gateway.gateway_mode != "apigw":
        raise Unauthenticated() from RefusalReason("internal routes are served through API Gateway with IAM only")
    return iam_caller(event)


def internal_principal(
    event: Mapping[str, Any], gateway: GatewaySettings, verifier: Callable[[], ServiceKeyVerifier]
) -> Principal:
    """The calling service, acting in its key's tenant: IAM first, then its service key (AUTH_001 otherwise)."""
    try:
        arn = internal_caller(event, gateway)
        key = verifier().identify(one_header(event, SERVICE_NAME_HEADER), one_header(event, API_KEY_HEADER))
    except AppError as refused:
        log_refusal(refused)
        raise
    return Principal(
        user_id=key.service_name, username=key.service_name, role=Role.SERVICE, tenant_id=key.tenant_id, consumer=arn
    )


def validated_principal(
    token: str, tenant_id: Any, verifier: TokenVerifier, limiter: Callable[[], RateLimiter]
) -> Principal:
    """The principal of a valid access token of ``tenant_id``: signature, expiry, claims and revocation checked as
    a protected route checks them; AUTH_001 (AUTH_002 when expired) otherwise, a token of another tenant too."""
    try:
        principal = principal_from_claims(verifier.verify(token))
        if principal.tenant_id != tenant_id:
            raise Unauthenticated() from RefusalReason("the token belongs to another tenant")
        issued = IssuedToken(
            principal.tenant_id, principal.user_id, principal.issued_at_ms, principal.token_id, principal.session_id
        )
        decision = limiter().check(f"validate:{principal.tenant_id}:{principal.user_id}", VALIDATIONS, issued)
        if decision.revoked:
            raise Unauthenticated() from RefusalReason("the token was revoked")
    except AppError as refused:
        log_refusal(refused)
        raise
    return principal
