"""CORS through the local gateway, identical in Kong and API Gateway mode."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import token

ORIGIN = "http://localhost:5173"
ALLOW_HEADERS = (
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Tenant-ID, X-Service-Name, X-API-Key"
)


def access_control(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("access-control-")}


def test_a_preflight_is_204_with_the_routes_methods_without_a_token(gateway):
    _, client = gateway
    reply = client.call(
        "OPTIONS",
        "/products/5a1d2c4e-0001-4000-8000-000000000001",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "if-match",
        },
    )
    assert (reply.status, reply.raw) == (204, b"")
    cors = access_control(reply.headers)
    assert cors["access-control-allow-origin"] == ORIGIN
    assert cors["access-control-allow-methods"] == "DELETE, GET, PATCH, PUT"
    assert cors["access-control-allow-headers"] == ALLOW_HEADERS
    assert cors["access-control-max-age"] == "3600"
    assert "access-control-allow-credentials" not in cors
    assert "Origin" in reply.headers["vary"]


def test_a_200_and_a_401_expose_the_contracts_headers_to_an_allowed_origin(gateway):
    _, client = gateway
    ok = client.call("GET", "/products?limit=1", token=token("user"), headers={"Origin": "http://127.0.0.1:8080"})
    refused = client.call("GET", "/products", headers={"Origin": "http://127.0.0.1:8080"})
    for reply, status in ((ok, 200), (refused, 401)):
        assert reply.status == status
        assert reply.headers["access-control-allow-origin"] == "http://127.0.0.1:8080"
        exposed = {h.strip() for h in reply.headers["access-control-expose-headers"].split(",")}
        assert {"ETag", "Location", "X-Request-ID", "X-Cache", "Retry-After", "X-RateLimit-Limit"} <= exposed
        assert "Origin" in reply.headers["vary"]


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:99999", "http://localhost:0"])
def test_a_disallowed_or_malformed_origin_gets_no_access_control_headers(gateway, origin):
    _, client = gateway
    preflight = client.call("OPTIONS", "/products", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    read = client.call("GET", "/products?limit=1", token=token("user"), headers={"Origin": origin})
    assert (preflight.status, read.status) == (204, 200)
    assert access_control(preflight.headers) == {}
    assert access_control(read.headers) == {}


def test_a_preflight_for_an_unknown_path_is_404_in_both_modes(gateway):
    _, client = gateway
    reply = client.call("OPTIONS", "/nothing-here", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert (reply.status, reply.code) == (404, "BIZ_001")


def test_the_gateways_own_refusals_carry_cors_headers(gateway):
    mode, client = gateway
    # API Gateway's authorizer refuses a malformed token itself (UNAUTHORIZED gateway response); Kong hands
    # it to the function as the anonymous consumer. Either way the browser may read the 401.
    reply = client.call("GET", "/products", headers={"Origin": ORIGIN, "Authorization": "Bearer not-a-jwt"})
    assert reply.status == 401, mode
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert "X-Request-ID" in reply.headers["access-control-expose-headers"]


def vary_values(port: int, method: str, path: str, headers: dict[str, str]) -> list[str]:
    """Every value of every Vary header line of the answer, as a client reads them (lines joined by commas)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, f"/KONGAPI/api/v1{path}", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return [v.strip() for k, line in response.getheaders() if k.lower() == "vary" for v in line.split(",")]


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/products?limit=1", {"Origin": ORIGIN}),
        ("GET", "/products?limit=50", {"Origin": ORIGIN, "Accept-Encoding": "gzip"}),  # Accept-Encoding too
        ("GET", "/products", {"Origin": "http://evil.example"}),  # a 401, a disallowed origin
        ("GET", "/products?limit=1", {}),  # no Origin: Kong 3.9's header filter still adds Vary: Origin
        ("OPTIONS", "/products", {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}),  # handed on by Kong
        ("GET", "/nowhere", {"Origin": ORIGIN}),  # the catch-all's 404
    ],
)
def test_a_response_varies_on_origin_exactly_once(gateway, method, path, headers):
    """Behind Kong the cors plugin adds its own Vary: Origin (kong.response.add_header in its header filter) and
    the function added one too: a client read "Vary: Origin, Origin". The function leaves it to Kong there."""
    mode, client = gateway
    sent = {**headers}
    if path.startswith("/products?") and method == "GET":
        sent["Authorization"] = f"Bearer {token('user')}"
    varies = vary_values(client.port, method, path, sent)
    if not headers.get("Origin") and mode == "apigw":
        assert varies.count("Origin") == 1 or varies == [], varies  # API Gateway adds nothing of its own
    else:
        assert varies.count("Origin") == 1, (mode, varies)
    if "Accept-Encoding" in headers:
        assert varies.count("Accept-Encoding") == 1, (mode, varies)
