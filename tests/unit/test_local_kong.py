"""The local gateway's Kong emulation follows kong/kong.yml like Kong does."""

from __future__ import annotations

import time

import jwt
import pytest

from localdev.kong import KongRoute, Rejection, apply_plugins, load_kong

KONG = load_kong()


def route(method: str, path: str) -> KongRoute:
    found = KONG.route_for(method, path)
    assert found is not None
    return found


SECRET = KONG.jwt_secrets()["storefront-web"]
PRODUCTS = route("GET", "/KONGAPI/api/v1/products")


def sign(claims=None, secret=SECRET, algorithm="HS256"):
    now = int(time.time())
    payload = {"iss": "storefront-web", "iat": now, "exp": now + 600, **(claims or {})}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm=algorithm)


def strict(route):
    """The same route with the jwt plugin refusing instead of passing on to the anonymous consumer."""
    plugins = {**route.plugins, "jwt": {**route.plugins["jwt"], "anonymous": None}}
    return KongRoute(route.name, route.methods, route.paths, route.regex_priority, plugins)


def test_routes_match_like_kong():
    assert route("GET", "/KONGAPI/api/v1/products").name == "list-products"
    assert route("GET", "/KONGAPI/api/v1/products/abc").name == "get-product"
    assert route("PATCH", "/KONGAPI/api/v1/products").name == "no-route"
    assert route("GET", "/elsewhere").name == "no-route"


def test_a_valid_token_sets_the_consumer_headers_and_drops_spoofed_ones():
    headers = {"authorization": f"Bearer {sign()}", "x-consumer-id": "spoofed", "x-anonymous-consumer": "true"}
    forwarded = apply_plugins(PRODUCTS, KONG, headers, {})
    assert not isinstance(forwarded, Rejection)
    assert forwarded["x-consumer-username"] == "storefront-web"
    assert forwarded["x-consumer-id"] != "spoofed"
    assert forwarded["x-credential-identifier"] == "storefront-web"
    assert "x-anonymous-consumer" not in forwarded
    assert forwarded["x-kong-request-id"]


@pytest.mark.parametrize(
    ("headers", "query", "status", "body"),
    [
        ({}, {}, 401, {"message": "Unauthorized"}),
        ({"authorization": "Bearer garbage"}, {}, 401, {"message": "Bad token; invalid JSON"}),
        ({"authorization": f"Bearer {sign({'iss': None})}"}, {}, 401, {"message": "No mandatory 'iss' in claims"}),
        (
            {"authorization": f"Bearer {sign({'iss': 'nobody'})}"},
            {},
            401,
            {"message": "No credentials found for given 'iss'"},
        ),
        ({"authorization": f"Bearer {sign(secret='x' * 40)}"}, {}, 401, {"message": "Invalid signature"}),
        ({"authorization": f"Bearer {sign(algorithm='HS512')}"}, {}, 403, {"message": "Invalid algorithm"}),
        ({"authorization": f"Bearer {sign({'exp': int(time.time()) - 5})}"}, {}, 401, {"exp": "token expired"}),
        (
            {"authorization": f"Bearer {sign({'exp': int(time.time()) + 7200})}"},
            {},
            401,
            {"exp": "exceeds maximum allowed expiration"},
        ),
    ],
)
def test_without_anonymous_kong_refuses_with_its_own_answers(headers, query, status, body):
    outcome = apply_plugins(strict(PRODUCTS), KONG, headers, query)
    assert isinstance(outcome, Rejection)
    assert (outcome.status, outcome.body) == (status, body)


def test_with_anonymous_a_failure_is_passed_on_as_the_anonymous_consumer():
    forwarded = apply_plugins(PRODUCTS, KONG, {"authorization": "Bearer garbage"}, {})
    assert not isinstance(forwarded, Rejection)
    assert (forwarded["x-anonymous-consumer"], forwarded["x-consumer-username"]) == ("true", "anonymous")


def test_tokens_may_come_from_query_and_cookie_when_configured():
    route = PRODUCTS
    plugins = {**route.plugins, "jwt": {**route.plugins["jwt"], "uri_param_names": ["jwt"], "cookie_names": ["jwt"]}}
    configured = KongRoute(route.name, route.methods, route.paths, route.regex_priority, plugins)
    by_query = apply_plugins(configured, KONG, {}, {"jwt": sign()})
    by_cookie = apply_plugins(configured, KONG, {"cookie": f"jwt={sign()}"}, {})
    assert not isinstance(by_query, Rejection)
    assert "x-credential-identifier" in by_query
    assert not isinstance(by_cookie, Rejection)
    assert "x-credential-identifier" in by_cookie


def test_unmatched_paths_are_terminated_in_the_envelope():
    outcome = apply_plugins(route("GET", "/x"), KONG, {}, {})
    assert isinstance(outcome, Rejection)
    assert outcome.status == 404
    assert '"BIZ_001"' in str(outcome.body)
