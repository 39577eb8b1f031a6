"""The service and internal routes through the local gateway in both modes, as another service calls them."""

from __future__ import annotations

import http.client
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from localdev import sigv4
from localdev.gateway_process import running_gateway
from localdev.paths import ROOT
from localdev.service_key import new_service_key
from tests.e2e.conftest import Client, Reply, run_script, token

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


def test_a_retried_orders_batch_places_its_orders_once(gateway):
    """Outside pass: a retried services/orders/batch placed every order twice (Idempotency-Key was ignored)."""
    _, client = gateway
    headers = {**credentials(client), "Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    body = json.loads(json.loads((ROOT / "events/services/batch_orders.json").read_text())["body"])
    body["items"][0]["notes"] = f"e2e {uuid.uuid4()}"  # this test's own orders, whatever other tests placed
    first, again = (
        client.call("POST", "/services/orders/batch", token=token("service"), body=body, headers=headers)
        for _ in range(2)
    )
    assert first.status == again.status == 200, first.json
    assert [r["status"] for r in first.json["data"]["results"]] == ["created", "failed"]
    assert again.raw == first.raw, "the first response, byte for byte"
    assert (first.headers.get("idempotent-replayed"), again.headers["idempotent-replayed"]) == (None, "true")
    order_id = first.json["data"]["results"][0]["id"]
    user = token("user", sub=body["items"][0]["user_id"])
    mine = client.call("GET", "/orders?limit=100", token=user).json["data"]
    assert [o["id"] for o in mine if o.get("notes") == body["items"][0]["notes"]] == [order_id], "placed once"
    other = {**body, "items": body["items"][:1]}
    reply = client.call("POST", "/services/orders/batch", token=token("service"), body=other, headers=headers)
    assert (reply.status, reply.code) == (409, "BIZ_002")


def service_section() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Service-to-service", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)[0]


@pytest.fixture(params=["kong", "apigw"])
def own_gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    database_url = f"sqlite:///{tmp_path}/readme.db"
    lag = {"SYNC_LAG_SECONDS": "0"}  # the sync shows the demo products at once, so the cursor moves
    with running_gateway(request.param, database_url, tmp_path / "gateway.log", lag) as port:
        yield Client(port, database_url)


def test_the_readme_service_examples_run_twice(own_gateway, tmp_path):
    """Outside pass: the README's service examples failed when run again (the same SKUs taken, version 1 of a
    product long gone, the sync started over). Run literally (the port and where make runs aside), twice."""
    client = own_gateway
    script = "API=http://127.0.0.1:3000/KONGAPI/api/v1\n" + service_section()
    script = script.replace("127.0.0.1:3000", f"127.0.0.1:{client.port}").replace("make -s ", f"make -s -C {ROOT} ")
    env = {**os.environ, "DATABASE_URL": client.database_url}
    for attempt in range(2):
        result = run_script(script, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert '"status":"created"' in out.replace(" ", ""), (attempt, out)
        assert out.replace(" ", "").count('"status":"updated"') == 1, (attempt, out)
        cursor = (tmp_path / ".local" / "search-indexer.cursor").read_text().strip()
        assert cursor, "the sync stored where it stopped"
        if attempt == 0:
            first_cursor = cursor
        else:
            assert cursor != first_cursor, "the second run resumed after the first one's cursor"
            assert "Rooibos" in out
            assert "MUG-001" not in out, "only what changed since: not the demo products again"
