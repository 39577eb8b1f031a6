"""The Lambda entry point around a resolver: ids, limits, headers and compression in one place."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from storefront import bootstrap
from storefront.application.ports import RateDecision
from storefront.config import (
    CacheSettings,
    CorsSettings,
    DatabaseSettings,
    GatewaySettings,
    RateLimitSettings,
    TokenSettings,
    load,
    rate_limit_settings,
    read,
)
from storefront.domain.errors import AppError
from storefront.domain.identity import Principal, Role
from storefront.http.body import accept_body
from storefront.http.context import PRINCIPAL, SERVICE
from storefront.http.cors import policy
from storefront.http.envelope import failure
from storefront.http.identity import SERVICES, authenticate, iam_caller, require_role
from storefront.http.internal import internal_principal
from storefront.http.parameters import normalise_headers, normalise_parameters
from storefront.http.rate_limit import check_rate, enforce, rate_headers
from storefront.http.request_meta import RequestMeta, bind_request, header
from storefront.http.service_auth import require_service_key
from storefront.observability import logger, metrics, profiled

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def lambda_entry(
    app: APIGatewayRestResolver,
    *,
    allow: tuple[Role, ...] | None,
    requires: tuple[type, ...] = (),
    reads_request: bool = True,
    rate_limited: bool = True,
    no_store: bool = False,
    service_key: bool = False,
    iam: bool = False,
) -> Handler:
    """The handler of an HTTP function open to the roles in ``allow`` (None: public).

    The caller is authenticated, then (unless ``rate_limited`` is false) held to its rate limits and its
    token checked for revocation (``http/rate_limit.py``: one Redis round trip), then authorised, all before
    the request is validated, so an anonymous or unauthorised caller learns nothing about the input rules.
    The function's settings (``requires``, the rate limits, and the token secrets when it verifies tokens
    itself) are checked now, at cold start. Query and path parameters and the body then pass the contract's
    byte-level rules, unless ``reads_request`` is false (a function whose answer never depends on them, such
    as the 404 of an unknown path). Every response carries the rate limit's headers once it was decided;
    with ``no_store`` (the auth functions: tokens and credentials), every response, refusals included, is
    marked ``Cache-Control: no-store``. A refusal is never stored by a cache whatever the function.
    With ``service_key`` (the contract's ``S`` routes, ``allow=SERVICES``) the caller must also name an
    active key of its service in ``X-Service-Name`` and ``X-API-Key`` (``http/service_auth.py``), checked
    after its role, before the request is read. With ``iam`` (``Auth: {Authorizer: AWS_IAM}`` in the template)
    API Gateway has authenticated the caller by its SigV4 signature and IAM policy: the function requires that
    ``requestContext.identity`` names it (``iam_caller``). With ``iam`` and ``service_key`` (the contract's
    ``I + service key`` routes, API Gateway only) there is no token: the IAM caller and the service key say who
    calls (``http/internal.py``). The operational ``iam`` routes take, behind Kong, which has no IAM, a token
    of one of the ``allow`` roles as any protected route does. Set ``PROFILE_HANDLER`` to profile the handler
    (``observability.profiled``).
    """
    if service_key and allow != SERVICES:
        raise ValueError("a service key is asked of service-role callers only (allow=SERVICES)")
    _check_settings(
        allow if not (iam and service_key) else None,
        (*requires, *((DatabaseSettings,) if service_key else ())),
        rate_limited,
    )
    admins_only = allow is not None and set(allow) == {Role.ADMIN}

    @metrics.log_metrics(capture_cold_start_metric=True)
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        gateway = load(GatewaySettings)  # read once per container: load() caches it
        normalise_headers(event)
        meta = bind_request(event, behind_kong=gateway.gateway_mode == "kong")
        logger.set_correlation_id(meta.request_id)
        decision: RateDecision | None = None
        try:
            principal: Principal | None = None
            if iam and service_key:
                principal = internal_principal(event, gateway, bootstrap.service_key_verifier)
            elif iam and gateway.gateway_mode == "apigw":
                logger.append_keys(iam_caller=iam_caller(event))
            elif allow is not None:
                principal = authenticate(event, gateway, bootstrap.token_verifier)
                logger.append_keys(tenant_id=str(principal.tenant_id), user_id=principal.user_id)
            if rate_limited:
                limits = rate_limit_settings()  # the function's own (template.yaml may set RATE_LIMITS)
                decision = check_rate(event, principal, limits, gateway, bootstrap.rate_limiter)
                enforce(decision, limits, admins_only=admins_only)
            if allow is not None and principal is not None:
                app.append_context(**{PRINCIPAL: require_role(principal, *allow)})
                if service_key and not iam:
                    service = require_service_key(event, principal, bootstrap.service_key_verifier)
                    app.append_context(**{SERVICE: service})
            if reads_request:  # a function that answers without looking at parameters or body skips their rules
                normalise_parameters(event)
                accept_body(event, gateway.max_body_bytes)
        except AppError as refused:
            return finish(_error_response(refused), event, meta, gateway, decision, no_store=no_store)
        return finish(app.resolve(event, context), event, meta, gateway, decision, no_store=no_store)

    return profiled(handler)


def _check_settings(allow: tuple[Role, ...] | None, requires: tuple[type, ...], rate_limited: bool) -> None:
    gateway = load(GatewaySettings)
    verifies_tokens = allow is not None and gateway.gateway_mode == "kong" and gateway.kong_verify_token
    redis = (CacheSettings,) if rate_limited else ()
    for settings_class in (CorsSettings, *requires, *redis, *((TokenSettings,) if verifies_tokens else ())):
        load(settings_class)
    if rate_limited:
        read(RateLimitSettings)  # the function's own, checked at its import (load would keep the first one read)


def _error_response(error: AppError) -> dict[str, Any]:
    """The proxy response of a refusal made before the resolver runs (same envelope as ``failure``)."""
    response = failure(error)
    return {
        "statusCode": response.status_code,
        "body": response.body,
        "isBase64Encoded": False,
        "multiValueHeaders": {name: [str(value)] for name, value in response.headers.items()},
    }


def finish(
    response: dict[str, Any],
    event: dict[str, Any],
    meta: RequestMeta,
    gateway: GatewaySettings,
    decision: RateDecision | None = None,
    *,
    no_store: bool = False,
) -> dict[str, Any]:
    """Add the headers every response carries (the rate limit's when one was decided) and gzip a large body
    the client accepts compressed."""
    headers: dict[str, list[str]] = {k: list(v) for k, v in (response.get("multiValueHeaders") or {}).items()}
    for name, value in (response.pop("headers", None) or {}).items():
        headers.setdefault(name, [str(value)])
    if no_store:
        headers.update({name: [value] for name, value in NO_STORE.items()})
    elif int(response["statusCode"]) >= 400:
        headers.setdefault("Cache-Control", ["no-store"])
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, [value])
    headers["X-Request-ID"] = [meta.request_id]
    headers.update(rate_headers(decision))
    body = response.get("body") or ""
    if (
        accepts_gzip(header(event, "accept-encoding"))
        and not response.get("isBase64Encoded")
        and len(body.encode()) > gateway.gzip_min_bytes
    ):
        response["body"] = base64.b64encode(gzip.compress(body.encode(), compresslevel=6)).decode()
        response["isBase64Encoded"] = True
        headers["Content-Encoding"] = ["gzip"]
        headers["Vary"] = [*headers.get("Vary", []), "Accept-Encoding"]  # a route's own Vary (Accept) stays
    cors = policy(load(CorsSettings).cors_allowed_origins)
    origin = header(event, "origin")
    # Kong's cors plugin adds Vary: Origin in its header filter to every answer but a preflight it hands on
    # (preflight_continue): the function names Origin only where no plugin does (kong/kong.yml, "cors").
    kong_varies = gateway.gateway_mode == "kong" and not _kong_preflight(event, origin)
    headers.update(cors.response_headers(origin, headers.get("Vary"), vary_origin=not kong_varies))
    response["statusCode"] = status = int(response["statusCode"])
    response["multiValueHeaders"] = headers
    metrics.add_metric(name=f"Http{status // 100}xx", unit=MetricUnit.Count, value=1)
    return response


def _kong_preflight(event: dict[str, Any], origin: str | None) -> bool:
    """What Kong's cors plugin takes for a preflight (OPTIONS with Origin and Access-Control-Request-Method)."""
    method = str(event.get("httpMethod") or "").upper()
    return method == "OPTIONS" and bool(origin) and bool(header(event, "access-control-request-method"))


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding value admits gzip (RFC 9110: ``gzip;q=0`` refuses it; ``*`` stands for it)."""
    weights: dict[str, float] = {}
    for part in (accept_encoding or "").split(","):
        name, *parameters = part.split(";")
        weight = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name.strip().lower()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False
