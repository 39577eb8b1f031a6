"""The rate-limit step of lambda_entry with the fake limiter: who is limited, what every response carries,
how refusals, revocations and an unreachable Redis are answered."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

import pytest

from localdev.runtime import LambdaContext
from storefront import bootstrap
from storefront.config import ConfigurationError
from storefront.domain.rate_limits import parse_windows
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.resolver import PREFIX, api_resolver
from tests.fakes import FakeCatalog, FakeRateLimits
from tests.unit.handlers import call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
SUBJECT = "9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0001"  # the sample events' user
LIST = "products.list_products.handler"
CREATE = "products.create_product.handler"
GET = "products.get_product.handler"
RATE_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


@pytest.fixture
def limits(fake: FakeCatalog, monkeypatch: pytest.MonkeyPatch) -> FakeRateLimits:
    """API Gateway mode, the fake catalogue and the fake limiter (three requests a minute, to keep it short)."""
    monkeypatch.setenv("RATE_LIMITS", "3/minute,100/hour")
    limiter = FakeRateLimits(fake.clock)
    bootstrap.provide(catalog=fake.ports, rate_limiter=limiter, revocations=limiter)
    return limiter


def rate(headers: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[0] for name, values in headers.items() if name in RATE_HEADERS | {"Retry-After"}}


def test_an_authenticated_caller_is_limited_per_consumer_with_its_token_checked(limits):
    status, headers, _ = call(LIST, event("products/list_products.json"))
    assert status == 200
    assert rate(headers) == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "20"}
    ((caller, windows, token),) = limits.checks
    assert caller == f"user:{TENANT}:{SUBJECT}"
    assert windows == parse_windows("3/minute,100/hour")
    assert token is not None
    assert (token.tenant_id, token.user_id, token.issued_at_ms) == (TENANT, SUBJECT, 1795510800_000)
    assert token.token_id == "0d6c3c1a7e1b4f0c9a5e2b8d4f6a1c3e"


def test_one_budget_serves_every_function_of_the_consumer(limits):
    call(LIST, event("products/list_products.json"))
    call(GET, event("products/get_product.json"))
    status, headers, _ = call(LIST, event("products/list_products.json"))
    assert (status, rate(headers)["X-RateLimit-Remaining"]) == (200, "0")


def test_over_the_limit_is_429_rate_001_with_retry_after_and_consumes_nothing(limits):
    for _ in range(3):
        assert call(LIST, event("products/list_products.json"))[0] == 200
    spent = dict(limits.arrivals)
    status, headers, body = call(LIST, event("products/list_products.json"))
    assert status == 429
    assert (body["status_code"], body["error"]["code"]) == (429, "RATE_001")
    assert body["error"]["details"] == {"retry_after_seconds": 20}
    assert rate(headers) == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "60",
        "Retry-After": "20",
    }
    assert body["meta"]["request_id"] == headers["X-Request-ID"][0]
    assert limits.arrivals == spent
    limits.clock.advance(20)
    assert call(LIST, event("products/list_products.json"))[0] == 200


def test_refusals_made_before_the_resolver_carry_the_rate_headers_too(limits):
    as_user = event("products/create_product.json")
    as_user["requestContext"]["authorizer"]["role"] = "user"
    forbidden = call(CREATE, as_user)
    bad_body = event("products/list_products.json", body="{not json", httpMethod="GET")
    bad_query = event("products/list_products.json")
    bad_query["multiValueQueryStringParameters"] = {"limit": ["1", "2"]}
    bad_query["queryStringParameters"] = {"limit": "2"}
    answers = [forbidden, call(LIST, bad_query)]
    assert [a[0] for a in answers] == [403, 422]
    for status, headers, _ in answers:
        assert RATE_HEADERS <= set(headers), status
    assert call(LIST, bad_body)[0] == 200  # a GET's body is never read, but the request still counted
    assert len(limits.checks) == 3


def test_the_resolvers_own_answers_carry_them(limits):
    missing = event("products/get_product.json")
    missing["pathParameters"] = {"product_id": "00000000-0000-4000-8000-00000000dead"}
    missing["path"] = missing["path"].rsplit("/", 1)[0] + "/00000000-0000-4000-8000-00000000dead"
    status, headers, _ = call(GET, missing)
    assert status == 404
    assert RATE_HEADERS <= set(headers)


def test_a_caller_without_credentials_is_refused_before_the_limiter_is_asked(limits):
    anonymous = event("products/list_products.json")
    anonymous["requestContext"]["authorizer"] = {}
    status, headers, _ = call(LIST, anonymous)
    assert status == 401
    assert not RATE_HEADERS & set(headers)
    assert limits.checks == []


def test_a_revoked_token_is_refused_like_any_invalid_token(limits):
    limits.revoke_token("0d6c3c1a7e1b4f0c9a5e2b8d4f6a1c3e", 4102444800)
    status, headers, body = call(LIST, event("products/list_products.json"))
    error = body["error"]
    assert (status, error["code"], error["message"]) == (401, "AUTH_001", "Missing or invalid credentials")
    assert not RATE_HEADERS & set(headers)
    assert limits.arrivals == {}  # nothing consumed


@pytest.mark.parametrize(
    ("revoked_at", "refused"), [(1795510799_999, False), (1795510800_000, True), (1795510900_000, True)]
)
def test_every_session_of_a_user_issued_at_or_before_the_revocation_is_refused(limits, revoked_at, refused):
    # The sample token was issued at 1795510800 and its jti tells no millisecond: it counts as the second's first.
    limits.revoke_sessions(TENANT, SUBJECT, revoked_at)
    status, _, _ = call(LIST, event("products/list_products.json"))
    assert status == (401 if refused else 200)


def test_another_users_revocation_changes_nothing(limits):
    limits.revoke_sessions(TENANT, "someone-else", 4102444800)
    assert call(LIST, event("products/list_products.json"))[0] == 200


def test_redis_unreachable_fails_open_without_rate_headers(limits):
    limits.down = True
    status, headers, _ = call(LIST, event("products/list_products.json"))
    assert status == 200
    assert not RATE_HEADERS & set(headers)


def test_redis_unreachable_fails_closed_when_configured(limits, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_FAIL_CLOSED", "true")
    bootstrap.provide(catalog=FakeCatalog().ports, rate_limiter=limits)
    limits.down = True
    status, _, body = call(LIST, event("products/list_products.json"))
    assert (status, body["error"]["code"]) == (503, "SYS_003")


def test_routes_open_only_to_admins_fail_closed_when_revocations_cannot_be_checked(limits):
    limits.down = True
    admin = event("products/create_product.json")  # the sample caller is an admin
    status, _, body = call(CREATE, admin)
    assert (status, body["error"]["code"]) == (503, "SYS_003")
    limits.down = False
    assert call(CREATE, admin)[0] == 201


def test_without_redis_nothing_is_limited_and_no_header_is_invented(fake):
    status, headers, _ = call(LIST, event("products/list_products.json"))
    assert status == 200
    assert not RATE_HEADERS & set(headers)


def test_browsers_may_read_the_rate_headers(limits):
    evt = set_header(event("products/list_products.json"), "Origin", "http://localhost:5173")
    _, headers, _ = call(LIST, evt)
    exposed = {h.strip() for h in headers["Access-Control-Expose-Headers"][0].split(",")}
    assert RATE_HEADERS | {"Retry-After"} <= exposed


USER_7 = "7d9c2a51-3f55-4e57-bb8e-2a3f1c9a0007"


def test_kong_mode_passes_the_verified_tokens_id_and_issue_time(limits, tokens, monkeypatch):
    monkeypatch.setenv("GATEWAY_MODE", "kong")
    bootstrap.provide(catalog=FakeCatalog().ports, rate_limiter=limits)
    claims = {"sub": USER_7, "role": "user", "tenant_id": str(TENANT)}
    issued_at = int(time.time()) - 30
    token = tokens.issue("storefront-web", claims, now=issued_at)
    evt = event("products/list_products.json")
    evt["requestContext"].pop("authorizer")
    for name, value in {
        "Authorization": f"Bearer {token}",
        "X-Consumer-ID": "c-1",
        "X-Consumer-Username": "storefront-web",
        "X-Credential-Identifier": "storefront-web",
    }.items():
        set_header(evt, name, value)
    assert call(LIST, evt)[0] == 200
    ((caller, _, issued),) = limits.checks
    assert caller == f"user:{TENANT}:{USER_7}"
    assert issued is not None
    assert issued.issued_at_ms // 1000 == issued_at  # its jti tells the millisecond within that second
    assert issued.token_id is not None
    assert len(issued.token_id) == 32


def public_handler() -> Any:
    app = api_resolver()

    @app.get(f"{PREFIX}/public/ping")
    def ping() -> Any:
        return ok({"pong": True})

    return lambda_entry(app, allow=None)


def public_event(source_ip: str, forwarded: str | None = None) -> dict[str, Any]:
    evt = event("products/list_products.json", path=f"{PREFIX}/public/ping")
    evt["requestContext"].pop("authorizer")
    evt["queryStringParameters"] = evt["multiValueQueryStringParameters"] = None  # the list's, not ping's
    evt["requestContext"]["identity"]["sourceIp"] = source_ip
    if forwarded:
        set_header(evt, "X-Forwarded-For", forwarded)
    return evt


def run(handler: Any, evt: dict[str, Any]) -> tuple[int, dict[str, list[str]]]:
    result = handler(evt, LambdaContext("public"))
    json.loads(result["body"])
    return result["statusCode"], result["multiValueHeaders"]


def test_public_routes_are_limited_per_client_address(limits):
    handler = public_handler()
    assert run(handler, public_event("203.0.113.10", forwarded="198.51.100.1"))[0] == 200
    assert run(handler, public_event("2001:db8::1"))[0] == 200
    assert [(caller, token) for caller, _, token in limits.checks] == [
        ("ip:203.0.113.10", None),  # X-Forwarded-For is the client's own writing: not believed
        ("ip:2001:db8::/64", None),
    ]
    for _ in range(2):
        run(handler, public_event("203.0.113.10"))
    status, headers = run(handler, public_event("203.0.113.10"))
    assert (status, headers["Retry-After"]) == (429, ["20"])


def test_behind_trusted_proxies_the_forwarded_client_is_limited(limits, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    bootstrap.provide(rate_limiter=limits)
    run(public_handler(), public_event("10.0.0.5", forwarded="6.6.6.6, 198.51.100.1"))
    assert limits.checks[-1][0] == "ip:198.51.100.1"


@pytest.mark.parametrize("handler", ["cors.preflight.handler", "edge.no_route.handler"])
def test_static_answers_outside_the_vpc_are_not_limited(limits, handler):
    name = "cors/preflight.json" if handler.startswith("cors") else "edge/no_route.json"
    status, headers, _ = call(handler, event(name))
    assert status in (204, 404)
    assert not RATE_HEADERS & set(headers)
    assert limits.checks == []


@pytest.mark.parametrize(
    ("variable", "value", "mentions"),
    [
        ("RATE_LIMITS", "100/fortnight", "RATE_LIMITS"),
        ("RATE_LIMITS", "100/minute,10/day", "10/day allows fewer requests than 100/minute"),
        ("RATE_LIMIT_FAIL_CLOSED", "maybe", "RATE_LIMIT_FAIL_CLOSED"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, the-load-balancer", "TRUSTED_PROXIES"),
    ],
)
def test_bad_rate_limit_settings_stop_the_cold_start(monkeypatch, variable, value, mentions):
    monkeypatch.setenv(variable, value)
    bootstrap.reset()
    with pytest.raises(ConfigurationError, match=mentions):
        public_handler()
