"""The service and internal routes through the local gateway in both modes, as another service calls them."""

from __future__ import annotations

import http.client
import json
import uuid

from localdev import sigv4
from localdev.service_key import new_service_key
from tests.e2e.conftest import Reply, token

SERVICE = "e2e-indexer"


def credentials(client, service: str = SERVICE) -> dict[str, str]:
    return {"X-Service-Name": service, "X-API-Key": new_service_key(client.database_url, service, actor="e2e")}


def test_a_service_batches_and_syncs_products_with_its_key(gateway):
    _, client = gateway
    headers = credentials(client)
    run = uuid.uuid4().hex[:8]
    items = [
        {"sku": f"E2E-{run}-1", "name": "Genmaicha", "price": {"amount": "5.00", "currency": "EUR"}, "stock": 3},
        {"sku": f"E2E-{run}-1", "name": "Twice", "price": {"amount": "5.00", "currency": "EUR"}, "stock": 3},
    ]
    reply = client.call(
        "POST", "/services/products/batch", token=token("service"), body={"items": items}, headers=headers
    )
    assert reply.status == 200, reply.json
    assert [r["status"] for r in reply.json["data"]["results"]] == ["created", "failed"]
    reply = client.call("GET", "/services/products/sync?limit=5", token=token("service"), headers=headers)
    assert reply.status == 200, reply.json
    assert set(reply.json["meta"]["pagination"]) == {"limit", "has_next", "next_cursor"}


def test_a_service_route_refuses_a_wrong_key_or_a_user_token(gateway):
    _, client = gateway
    headers = credentials(client)
    wrong = {**headers, "X-API-Key": "sk_" + "x" * 43}
    reply = client.call("GET", "/services/products/sync", token=token("service"), headers=wrong)
    assert (reply.status, reply.code) == (401, "AUTH_001")
    reply = client.call("GET", "/services/products/sync", token=token("admin"), headers=headers)
    assert (reply.status, reply.code) == (403, "AUTH_003")
    reply = client.call("GET", "/services/products/sync", headers=headers)
    assert (reply.status, reply.code) == (401, "AUTH_001")


def internal(client, headers: dict[str, str], body: dict[str, str], *, sign: bool = False) -> Reply:
    """A call to the internal validate route (outside the /KONGAPI/api/v1 prefix the client adds), SigV4-signed
    with the local credentials when ``sign``."""
    path = "/api/v1/internal/users/validate"
    payload = json.dumps(body).encode()
    signature = sigv4.sign("POST", f"http://127.0.0.1:{client.port}{path}", body=payload) if sign else {}
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    sent = {**headers, **signature, "Content-Type": "application/json"}
    connection.request("POST", path, body=payload, headers=sent)
    response = connection.getresponse()
    reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return reply


def test_internal_routes_are_served_by_api_gateway_with_iam_only(gateway):
    mode, client = gateway
    headers = credentials(client)
    body = {"token": token("user")}
    signed = internal(client, headers, body, sign=True)
    unsigned = internal(client, headers, body)
    if mode == "apigw":
        assert signed.status == 200, signed.json
        assert signed.json["data"]["role"] == "user"
        assert (unsigned.status, unsigned.code) == (404, "BIZ_001")  # API Gateway's answer to an unsigned IAM call
    else:  # Kong has no IAM: no Kong route, so the catch-all's 404
        assert (signed.status, signed.code) == (404, "BIZ_001")
        assert (unsigned.status, unsigned.code) == (404, "BIZ_001")
