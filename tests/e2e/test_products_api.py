"""The product API as a client meets it, through the local gateway in Kong and API Gateway mode."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import token

NEW = {
    "sku": "E2E-1",
    "name": "Espresso cup",
    "price": {"amount": "7.50", "currency": "EUR"},
    "stock": 10,
    "category": "Kitchen",
}


def new_product(client, **changes):
    body = {**NEW, "sku": f"E2E-{uuid.uuid4().hex[:10]}", **changes}
    reply = client.call("POST", "/products", token=token("admin"), body=body)
    assert reply.status == 201, reply.json
    return reply.json["data"]


def test_the_readme_tour(gateway):
    _, client = gateway
    admin = token("admin")
    created = client.call("POST", "/products", token=admin, body={**NEW, "sku": "TOUR-1"})
    assert created.status == 201
    assert created.headers["location"].endswith(created.json["data"]["id"])
    product_id = created.json["data"]["id"]

    listed = client.call("GET", "/products?limit=2&sort=price&order=desc", token=admin)
    assert listed.status == 200
    assert listed.json["meta"]["pagination"]["limit"] == 2

    first = client.call("GET", f"/products/{product_id}", token=admin)
    assert (first.status, first.headers["etag"], first.headers["x-cache"]) == (200, '"v1"', "MISS")
    assert client.call("GET", f"/products/{product_id}", token=admin).headers["x-cache"] == "HIT"
    unchanged = client.call("GET", f"/products/{product_id}", token=admin, headers={"If-None-Match": '"v1"'})
    assert (unchanged.status, unchanged.raw) == (304, b"")

    patched = client.call(
        "PATCH", f"/products/{product_id}", token=admin, body={"stock": 8}, headers={"If-Match": '"v1"'}
    )
    assert (patched.status, patched.json["data"]["stock"], patched.headers["etag"]) == (200, 8, '"v2"')
    stale = client.call(
        "PATCH", f"/products/{product_id}", token=admin, body={"stock": 1}, headers={"If-Match": '"v1"'}
    )
    assert (stale.status, stale.code) == (409, "BIZ_002")
    fresh = client.call("GET", f"/products/{product_id}", token=admin)
    assert (fresh.headers["x-cache"], fresh.json["data"]["stock"]) == ("MISS", 8)

    deleted = client.call("DELETE", f"/products/{product_id}", token=admin, headers={"If-Match": '"v2"'})
    assert (deleted.status, deleted.raw) == (204, b"")
    # the contract: a 204 has no body at all: no Content-Type, no Content-Length (RFC 9110 forbids it on a 204)
    assert {"content-type", "content-length"}.isdisjoint(deleted.headers), deleted.headers
    gone = client.call("GET", f"/products/{product_id}", token=admin)
    assert (gone.status, gone.code) == (404, "BIZ_001")


def test_a_user_reads_but_may_not_write(gateway):
    _, client = gateway
    product = new_product(client)
    user = token("user")
    assert client.call("GET", f"/products/{product['id']}", token=user).status == 200
    for method, path, body in [
        ("POST", "/products", NEW),
        ("PUT", f"/products/{product['id']}", NEW),
        ("PATCH", f"/products/{product['id']}", {"stock": 1}),
        ("DELETE", f"/products/{product['id']}", None),
    ]:
        reply = client.call(method, path, token=user, body=body)
        assert (reply.status, reply.code) == (403, "AUTH_003"), (method, reply.json)


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({}, "AUTH_001"),
        ({"token": "not.a.token"}, "AUTH_001"),
        ({"token": token("admin", ttl=-120)}, "AUTH_002"),
        ({"headers": {"X-Consumer-ID": "spoofed", "X-Consumer-Username": "storefront-web"}}, "AUTH_001"),
    ],
    ids=["no-token", "garbage", "expired", "spoofed-consumer"],
)
def test_without_valid_credentials_it_is_401(gateway, credentials, code):
    _, client = gateway
    reply = client.call("GET", "/products", **credentials)
    assert (reply.status, reply.code) == (401, code)
    assert reply.json["success"] is False
    assert reply.json["status_code"] == 401


def test_another_tenant_sees_none_of_it(gateway):
    _, client = gateway
    product = new_product(client)
    stranger = token("admin", tenant=str(uuid.uuid4()))
    assert client.call("GET", "/products", token=stranger).json["meta"]["pagination"]["total"] == 0
    assert client.call("GET", f"/products/{product['id']}", token=stranger).status == 404
    assert client.call("PATCH", f"/products/{product['id']}", token=stranger, body={"stock": 0}).status == 404
    assert client.call("DELETE", f"/products/{product['id']}", token=stranger).status == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "POST",
            "/products",
            {"name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1},
            400,
            "VAL_001",
        ),
        ("POST", "/products", "{broken json", 400, "VAL_001"),
        ("POST", "/products", {**NEW, "price": {"amount": "1.00", "currency": "euros"}}, 422, "VAL_002"),
        ("POST", "/products", {**NEW, "price": {"amount": "1.00", "currency": "ZZZ"}}, 422, "VAL_002"),
        ("POST", "/products", {**NEW, "price": {"amount": "1.00", "currency": "XXX"}}, 422, "VAL_002"),
        ("POST", "/products", {**NEW, "price": {"amount": "-3.00", "currency": "EUR"}}, 422, "VAL_003"),
        ("POST", "/products", {**NEW, "stock": -1}, 422, "VAL_003"),
        ("GET", "/products?limit=1000", None, 422, "VAL_003"),
        ("GET", "/products?offset=10001", None, 422, "VAL_003"),
        ("GET", "/products?cursor=not-a-cursor", None, 422, "VAL_002"),
        ("GET", "/products?sort=password", None, 422, "VAL_002"),
        ("GET", "/products?fields=id,password", None, 422, "VAL_002"),
        ("GET", "/products?fields=,,,", None, 422, "VAL_002"),
        ("POST", "/products", {**NEW, "price": {"amount": "\u0663.00", "currency": "EUR"}}, 422, "VAL_002"),
        ("GET", "/products?min_price=%D9%A3", None, 422, "VAL_002"),
        ("GET", "/products?q=%25%20%2A", None, 422, "VAL_002"),
        ("GET", "/products?q=" + "x" * 65, None, 422, "VAL_003"),
        ("GET", "/products/not-a-uuid", None, 422, "VAL_002"),
        ("GET", f"/products/{uuid.uuid4()}", None, 404, "BIZ_001"),
        ("POST", "/products", "x" * (1024 * 1024 + 10), 413, "VAL_003"),
    ],
)
def test_every_error_case_answers_with_its_code(gateway, method, path, body, status, code):
    _, client = gateway
    reply = client.call(method, path, token=token("admin"), body=body)
    assert (reply.status, reply.code) == (status, code), reply.json
    assert reply.json["status_code"] == status
    assert reply.json["error"]["request_id"]


def test_stale_body_version_conflicts(gateway):
    _, client = gateway
    product = new_product(client)
    body = {**NEW, "sku": product["sku"], "version": 1}
    assert client.call("PUT", f"/products/{product['id']}", token=token(), body=body).status == 200
    reply = client.call("PUT", f"/products/{product['id']}", token=token(), body=body)
    assert (reply.status, reply.code) == (409, "BIZ_002")


def test_big_responses_are_gzipped_and_headers_are_secure(gateway):
    _, client = gateway
    reply = client.call("GET", "/products?limit=100", token=token(), headers={"Accept-Encoding": "gzip"})
    assert reply.headers["content-encoding"] == "gzip"
    assert reply.json["success"] is True
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" in reply.headers
    assert "content-security-policy" in reply.headers
    assert reply.headers["x-request-id"] == reply.json["meta"]["request_id"]


def test_filters_and_field_selection(gateway):
    _, client = gateway
    product = new_product(
        client, name="Zebra-striped teapot", category="Teaware", price={"amount": "88.00", "currency": "EUR"}
    )
    reply = client.call(
        "GET", "/products?q=zebra&category=Teaware&min_price=80&max_price=90&fields=id,name", token=token()
    )
    assert reply.json["data"] == [{"id": product["id"], "name": "Zebra-striped teapot"}]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/KONGAPI/api/v1/nothing-here"), ("POST", "/KONGAPI/api/v1/a/b"), ("GET", "/elsewhere")],
)
def test_an_unknown_route_is_404_in_the_full_envelope_in_both_modes(gateway, method, path):
    _, client = gateway
    reply = client.call(method, path, token=token(), headers={"Origin": "http://localhost:5173"})
    assert (reply.status, reply.code) == (404, "BIZ_001")
    error = reply.json["error"]
    assert error["request_id"] == reply.json["meta"]["request_id"] == reply.headers["x-request-id"] != ""
    assert error["timestamp"].endswith("Z")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in reply.headers
    assert reply.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_a_list_pages_by_cursor_to_its_end(gateway):
    _, client = gateway
    category = f"Paged-{uuid.uuid4().hex[:8]}"
    made = [new_product(client, category=category, name=f"Paged item {n}")["id"] for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        path = f"/products?category={category}&sort=name&order=asc&limit=2&fields=id"
        reply = client.call("GET", path + (f"&cursor={cursor}" if cursor else ""), token=token("user"))
        assert reply.status == 200, reply.json
        pagination = reply.json["meta"]["pagination"]
        assert (pagination["total"], pagination["total_exact"]) == (5, True)
        seen += [p["id"] for p in reply.json["data"]]
        pages += 1
        cursor = pagination["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (made, 3)
    first = client.call("GET", f"/products?category={category}&limit=2", token=token("user"))
    foreign = first.json["meta"]["pagination"]["next_cursor"]
    reply = client.call("GET", f"/products?category={category}&limit=2&order=asc&cursor={foreign}", token=token("user"))
    assert (reply.status, reply.code, reply.json["error"]["details"]["field"]) == (422, "VAL_002", "cursor")
