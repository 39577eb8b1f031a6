"""The rate-limit step of every limited function: after authentication, before the request's rules.

One call to the RateLimiter (one Redis round trip) per request: an authenticated caller is limited per
consumer (its tenant and user, in every function alike) and its token is checked against the revocations
(logout, ban, password reset); a public request is limited per client address. The answer becomes
the ``X-RateLimit-*`` headers of the response, whatever the response is, and ``Retry-After`` on a 429.

Redis unreachable: the request is admitted unlimited (a warning in the log, the ``RateLimitUnchecked``
metric), unless RATE_LIMIT_FAIL_CLOSED is set; on a route open only to admins it is refused (503 SYS_003)
either way, since a banned admin's token could not be told apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from storefront.application.ports import IssuedToken, RateDecision, RateLimiter
from storefront.config import GatewaySettings, RateLimitSettings
from storefront.domain.errors import RateLimited, ServiceUnavailable, Unauthenticated
from storefront.domain.identity import Principal
from storefront.domain.rate_limits import client_key, consumer_key
from storefront.http.client_address import client_address
from storefront.http.identity import RefusalReason, log_refusal
from storefront.observability import metrics


def check_rate(
    event: Mapping[str, Any],
    principal: Principal | None,
    settings: RateLimitSettings,
    gateway: GatewaySettings,
    limiter: Callable[[], RateLimiter],
) -> RateDecision:
    """The limiter's decision for this request (never raises: ``enforce`` acts on it)."""
    if principal is None:
        return limiter().check(client_key(client_address(event, gateway.trusted_proxies)), settings.windows)
    token = IssuedToken(
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        # A token without iat counts as issued at the epoch: any revocation of its user's sessions refuses it.
        issued_at_ms=principal.issued_at_ms,
        token_id=principal.token_id,
        session_id=principal.session_id,
    )
    return limiter().check(consumer_key(principal.tenant_id, principal.user_id), settings.windows, token)


def enforce(decision: RateDecision, settings: RateLimitSettings, *, admins_only: bool) -> None:
    """Refuse the request the decision does not admit: 401 AUTH_001 for a revoked token (the message of any
    invalid token), 429 RATE_001 over the limit, 503 SYS_003 when the limiter could not answer and the
    function may not go on without it."""
    if not decision.answered:
        metrics.add_metric(name="RateLimitUnchecked", unit=MetricUnit.Count, value=1)
        if admins_only or settings.rate_limit_fail_closed:
            raise ServiceUnavailable()
        return
    if decision.revoked:
        refused = Unauthenticated()
        refused.__cause__ = RefusalReason("the token or every session of its user was revoked")
        log_refusal(refused)
        metrics.add_metric(name="RevokedTokenRefused", unit=MetricUnit.Count, value=1)
        raise refused
    if not decision.admitted:
        metrics.add_metric(name="RateLimited", unit=MetricUnit.Count, value=1)
        raise RateLimited(decision.retry_after_seconds)


def rate_headers(decision: RateDecision | None) -> dict[str, list[str]]:
    """The ``X-RateLimit-*`` headers of a decision (none when no limit applied), and ``Retry-After`` when it
    refused the request: the limit of the tightest window, the requests it still admits, and the seconds
    until it is full again."""
    if decision is None or decision.limit is None:
        return {}
    headers = {
        "X-RateLimit-Limit": [str(decision.limit)],
        "X-RateLimit-Remaining": [str(decision.remaining)],
        "X-RateLimit-Reset": [str(decision.reset_seconds)],
    }
    if not decision.admitted:
        headers["Retry-After"] = [str(decision.retry_after_seconds)]
    return headers
