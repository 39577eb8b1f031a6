"""The edge as a client's bytes meet it, in both gateway modes: media types, encodings, nesting, arrays, limits."""

from __future__ import annotations

import gzip
import json
import socket
import uuid

import pytest

from tests.e2e.conftest import token

MIB = 1024 * 1024


def product(**changes):
    return {
        "sku": f"EDGE-{uuid.uuid4().hex[:10]}",
        "name": "Edge cup",
        "price": {"amount": "3.20", "currency": "EUR"},
        "stock": 4,
        **changes,
    }


def created(client):
    reply = client.call("POST", "/products", token=token("admin"), body=product())
    assert reply.status == 201, reply.json
    return reply.json["data"]


@pytest.mark.parametrize(
    ("content_type", "payload", "extra", "status", "code"),
    [
        ("text/plain", None, {}, 415, "VAL_002"),
        ("application/xml", None, {}, 415, "VAL_002"),
        ("multipart/form-data; boundary=x", None, {}, 415, "VAL_002"),
        ("application/json", b'{"name": "\xc3\x28"}', {}, 400, "VAL_001"),
        (
            "application/json",
            gzip.compress(json.dumps(product()).encode()),
            {"Content-Encoding": "gzip"},
            400,
            "VAL_001",
        ),
        ("application/json", ("[" * 10_000 + "]" * 10_000).encode(), {}, 400, "VAL_001"),
        ("application/json", b'{"stock": NaN}', {}, 400, "VAL_001"),
        ("application/json", b'{"stock": 1e999}', {}, 422, "VAL_003"),
        ("application/json", json.dumps([product(), "garbage", 42]).encode(), {}, 422, "VAL_002"),
    ],
)
def test_bytes_that_are_not_one_json_object_get_a_4xx_and_create_nothing(
    gateway, content_type, payload, extra, status, code
):
    _, client = gateway
    admin = token("admin")
    body = product()
    raw = payload if payload is not None else json.dumps(body).encode()
    before = client.call("GET", "/products?limit=1", token=admin).json["meta"]["pagination"]["total"]
    reply = client.call("POST", "/products", token=admin, body=raw, headers={"Content-Type": content_type, **extra})
    assert (reply.status, reply.code, reply.json["status_code"]) == (status, code, status)
    after = client.call("GET", "/products?limit=1", token=admin).json["meta"]["pagination"]["total"]
    assert after == before


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "application/merge-patch+json", "application/json; charset=UTF-8"]
)
def test_json_media_types_are_matched_case_insensitively(gateway, content_type):
    _, client = gateway
    reply = client.call(
        "POST", "/products", token=token("admin"), body=json.dumps(product()), headers={"Content-Type": content_type}
    )
    assert reply.status == 201, reply.json


def test_a_utf16_body_is_read(gateway):
    _, client = gateway
    raw = json.dumps(product(name="Thé vert")).encode("utf-16")
    reply = client.call("POST", "/products", token=token("admin"), body=raw)
    assert (reply.status, reply.json["data"]["name"]) == (201, "Thé vert")


def test_an_array_patch_and_an_empty_patch_change_nothing(gateway):
    _, client = gateway
    admin = token("admin")
    item = created(client)
    path = f"/products/{item['id']}"
    array = client.call("PATCH", path, token=admin, body=[{"stock": 1}, {"stock": 2}])
    assert (array.status, array.code) == (422, "VAL_002")
    empty = client.call("PATCH", path, token=admin, body={})
    assert (empty.status, empty.code) == (400, "VAL_001")
    multipart = client.call(
        "PATCH",
        path,
        token=admin,
        body="--x\r\nContent-Disposition: form-data; name=stock\r\n\r\n9\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert (multipart.status, multipart.code) == (415, "VAL_002")
    after = client.call("GET", path, token=admin).json["data"]
    assert (after["version"], after["stock"]) == (1, item["stock"])


def test_an_offset_beyond_any_integer_is_422(gateway):
    _, client = gateway
    reply = client.call("GET", "/products?offset=9223372036854775808", token=token("admin"))
    assert (reply.status, reply.code) == (422, "VAL_003")


def test_exactly_one_mebibyte_is_read_and_one_byte_more_is_413(gateway):
    _, client = gateway
    admin = token("admin")
    item = created(client)
    filler = "x" * (MIB - len(json.dumps({"description": ""})))
    exact = json.dumps({"description": filler}).encode()
    assert len(exact) == MIB
    reply = client.call("PATCH", f"/products/{item['id']}", token=admin, body=exact)
    assert (reply.status, reply.code) == (422, "VAL_003")  # read, then refused by the 4000-character rule
    assert reply.json["error"]["details"]["field"] == "description"
    over = client.call("PATCH", f"/products/{item['id']}", token=admin, body=exact + b" ")
    assert (over.status, over.code) == (413, "VAL_003")


def test_a_client_sent_kong_request_id_is_never_the_request_id(gateway):
    """Outside passes: behind Kong a client chose the id its request was answered and logged under."""
    mode, client = gateway
    reply = client.call("GET", "/products?limit=1", token=token("user"), headers={"X-Kong-Request-ID": "client-42"})
    request_id = reply.json["meta"]["request_id"]
    assert reply.headers["x-request-id"] == request_id != "client-42"
    if mode == "kong":
        assert reply.headers["x-kong-request-id"] == request_id  # Kong's own, as its header says


def raw_request(client, lines: list[str], body: bytes = b"") -> tuple[int, bytes]:
    """Send a request exactly as written (repeated or malformed headers); the status and the raw head."""
    with socket.create_connection(("127.0.0.1", client.port), timeout=30) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    head = received.split(b"\r\n\r\n", 1)[0]
    return int(head.split(b" ", 2)[1]), head


@pytest.mark.parametrize("query", ["?q", "?x", "?limit", "?fields"])
def test_a_query_parameter_without_a_value_is_read_alike_in_both_modes(gateway, query):
    _, client = gateway
    reply = client.call("GET", f"/products{query}", token=token("user"))
    assert reply.status in (200, 422), reply.json
    assert reply.json["status_code"] == reply.status


def test_a_preflight_with_a_bare_query_parameter_is_204(gateway):
    _, client = gateway
    reply = client.call(
        "OPTIONS",
        "/products?x",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    assert reply.status == 204


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            b'{"sku": "S-1", "name": "\\ud800", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1}',
            400,
            "VAL_001",
        ),
        (
            b'{"sku": "A\\u0000B", "name": "n", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1}',
            422,
            "VAL_002",
        ),
    ],
)
def test_text_no_backend_can_store_is_refused(gateway, body, status, code):
    _, client = gateway
    reply = client.call("POST", "/products", token=token("admin"), body=body)
    assert (reply.status, reply.code) == (status, code)


def test_a_nul_in_a_query_parameter_is_422(gateway):
    _, client = gateway
    reply = client.call("GET", "/products?category=%00", token=token("user"))
    assert (reply.status, reply.code) == (422, "VAL_002")


@pytest.mark.parametrize(
    ("authorization", "accepted"),
    [
        ("Bearer  {token}", True),  # Kong's [Bb]earer\s+ and the authorizer's expression agree
        ("bearer {token}", True),
        ("Bearer {token}=", False),  # padding is not base64url: refused in both modes
        ("BEARER {token}", False),
    ],
)
def test_the_authorization_header_reads_alike_in_both_modes(gateway, authorization, accepted):
    _, client = gateway
    value = authorization.format(token=token("user"))
    reply = client.call("GET", "/products?limit=1", headers={"Authorization": value})
    assert reply.status == (200 if accepted else 401), reply.json


@pytest.mark.parametrize("good_first", [True, False])
def test_two_authorization_headers_are_refused_in_both_modes(gateway, good_first):
    _, client = gateway
    good, bad = f"Bearer {token('user')}", "Bearer bad.x.y"
    first, second = (good, bad) if good_first else (bad, good)
    status, _ = raw_request(
        client,
        [
            "GET /KONGAPI/api/v1/products?limit=1 HTTP/1.1",
            "Host: x",
            f"Authorization: {first}",
            f"Authorization: {second}",
            "Connection: close",
        ],
    )
    assert status == 401


def test_gzip_refused_with_q0_is_not_sent(gateway):
    _, client = gateway
    reply = client.call("GET", "/products?limit=20", token=token("user"), headers={"Accept-Encoding": "gzip;q=0"})
    assert reply.status == 200
    assert "content-encoding" not in reply.headers


def test_a_malformed_content_length_is_400_and_no_server_header_is_doubled(gateway):
    _, client = gateway
    status, _ = raw_request(client, ["POST /KONGAPI/api/v1/products HTTP/1.1", "Host: x", "Content-Length: abc"])
    assert status == 400
    reply = client.call("GET", "/products?limit=1", token=token("user"))
    assert "BaseHTTP" not in reply.headers.get("server", "")


def test_behind_kong_one_request_has_one_id(gateway):
    mode, client = gateway
    reply = client.call("GET", "/products?limit=1", token=token("user"))
    assert reply.headers["x-request-id"] == reply.json["meta"]["request_id"] != ""
    if mode == "kong":
        assert reply.headers["x-kong-request-id"] == reply.headers["x-request-id"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (["Content-Type: application/json", "Content-Type: text/plain"], 400),
        (["Content-Type: text/plain", "Content-Type: application/json"], 400),
        (["Content-Type: application/json", "Content-Type: application/json"], 201),
        (["Content-Type: application/json", "Content-Encoding: identity", "Content-Encoding: gzip"], 400),
    ],
)
def test_a_header_sent_twice_is_read_alike_in_both_modes(gateway, headers, status):
    _, client = gateway
    body = json.dumps(product()).encode()
    lines = [
        "POST /KONGAPI/api/v1/products HTTP/1.1",
        "Host: x",
        f"Authorization: Bearer {token('admin')}",
        *headers,
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    answered, _ = raw_request(client, lines, body)
    assert answered == status


@pytest.mark.parametrize("encodings", [["gzip", "gzip;q=0"], ["gzip;q=0", "gzip"]])
def test_accept_encoding_sent_twice_is_one_list_in_both_modes(gateway, encodings):
    _, client = gateway
    lines = [
        "GET /KONGAPI/api/v1/products?limit=20 HTTP/1.1",
        "Host: x",
        f"Authorization: Bearer {token('user')}",
        *(f"Accept-Encoding: {e}" for e in encodings),
        "Connection: close",
    ]
    _, head = raw_request(client, lines)
    assert (b"content-encoding: gzip" in head.lower()) is (encodings[-1] == "gzip")


@pytest.mark.parametrize(
    ("lengths", "status"),
    [
        (["99999999999999999999999"], 413),
        (["4000000000"], 413),
        (["5", "6"], 400),
        (["-5"], 400),
    ],
)
def test_the_local_gateway_refuses_impossible_lengths_before_reading(gateway, lengths, status):
    _, client = gateway
    lines = ["POST /KONGAPI/api/v1/products HTTP/1.1", "Host: x", *(f"Content-Length: {n}" for n in lengths)]
    answered, _ = raw_request(client, lines)
    assert answered == status


def test_a_chunked_body_is_read(gateway):
    _, client = gateway
    body = json.dumps(product()).encode()
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    lines = [
        "POST /KONGAPI/api/v1/products HTTP/1.1",
        "Host: x",
        f"Authorization: Bearer {token('admin')}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        "Connection: close",
    ]
    answered, _ = raw_request(client, lines, chunks)
    assert answered == 201


@pytest.mark.parametrize("coding", ["xchunked", "gzip, chunked", "chunked, chunked"])
def test_a_transfer_encoding_nginx_does_not_take_is_501(gateway, coding):
    """Outside pass: the local gateway took any Transfer-Encoding containing "chunked"; nginx takes exactly
    "chunked" and answers 501 to anything else."""
    _, client = gateway
    lines = ["POST /KONGAPI/api/v1/products HTTP/1.1", "Host: x", f"Transfer-Encoding: {coding}", "Connection: close"]
    answered, head = raw_request(client, lines, b"0\r\n\r\n")
    assert answered == 501
    assert b"application/json" in head.lower()


@pytest.mark.parametrize(
    ("request_line", "status"),
    [("GET /KONGAPI/api/v1/products HTTP/2.0", 505), ("GARBAGE", 400), ("GET /" + "a" * 70000 + " HTTP/1.1", 414)],
)
def test_the_local_server_s_own_refusals_are_json_with_a_status_line(gateway, request_line, status):
    """Outside pass: http.server answered these with its HTML page, and HTTP/2.0 with no status line at all."""
    _, client = gateway
    with socket.create_connection(("127.0.0.1", client.port), timeout=30) as connection:
        connection.sendall(request_line.encode("latin-1") + b"\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d" % status), head
    assert json.loads(body)["message"]


def test_trailing_whitespace_in_a_header_is_not_part_of_its_value(gateway):
    _, client = gateway
    reply = client.call("GET", "/products?limit=1", headers={"Authorization": f"Bearer {token('user')} "})
    assert reply.status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/nope", '{"a":'),
        ("POST", "/KONGAPI/api/v1/nope", "x" * (2 * 1024 * 1024)),
        ("GET", "/nope?x=%00", None),
    ],
)
def test_an_unknown_route_is_404_whatever_its_body_or_parameters(gateway, method, path, body):
    _, client = gateway
    reply = client.call(method, path, body=body)
    assert (reply.status, reply.code) == (404, "BIZ_001")


def test_a_415_carries_the_validation_details_of_every_validation_error(gateway):
    _, client = gateway
    reply = client.call(
        "POST",
        "/products",
        token=token("admin"),
        body="sku=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    details = reply.json["error"]["details"]
    assert (reply.status, details["field"]) == (415, "Content-Type")
    assert details["errors"] == [{"field": "Content-Type", "code": "VAL_002", "reason": details["reason"]}]


@pytest.mark.parametrize(
    ("what", "request_head", "answers"),
    [
        (
            "an over-long URL",
            "GET /KONGAPI/api/v1/products?q=" + "a" * 70000 + " HTTP/1.1\r\nHost: x",
            {"kong": (414, "URI too long"), "apigw": (414, "Request-URI Too Long")},
        ),
        (
            "an over-long header",
            "GET /KONGAPI/api/v1/products HTTP/1.1\r\nHost: x\r\nX-Big: " + "b" * 70000,
            {"kong": (494, "Request header or cookie too large"), "apigw": (431, "Line too long")},
        ),
        (
            "too many headers",
            "GET /KONGAPI/api/v1/products HTTP/1.1\r\nHost: x\r\n" + "\r\n".join(f"X-H{n}: v" for n in range(120)),
            {"kong": (494, "Request header or cookie too large"), "apigw": (431, "Too many headers")},
        ),
    ],
)
def test_an_over_long_request_is_the_front_proxys_answer_outside_the_envelope(gateway, what, request_head, answers):
    """No function runs, so no envelope (README "Known limits of the local gateway"): Kong's error handler
    answers nginx's 414 and 494 (`error_page 494 =494`) with its own message; API Gateway refuses before any
    gateway response too (REQUEST_TOO_LARGE is the body's 413)."""
    mode, client = gateway
    with socket.create_connection(("127.0.0.1", client.port), timeout=30) as connection:
        connection.sendall(request_head.encode("latin-1") + b"\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, message = answers[mode]
    assert head.startswith(b"HTTP/1.1 %d" % status), (what, head)
    assert json.loads(body) == {"message": message}, what
