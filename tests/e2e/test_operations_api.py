"""The operational routes through the local gateway: public ones in both modes, the internal ones signed with
SigV4 in API Gateway mode (as strictly as AWS_IAM) and with a service or admin token behind Kong."""

from __future__ import annotations

import http.client
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from localdev import sigv4
from localdev.aws_events import REGION
from localdev.events import HttpRequest
from localdev.sqs import LOCAL_AWS
from tests.e2e.conftest import Reply, token

INTERNAL = ("/api/v1/health", "/api/v1/live", "/api/v1/ready", "/api/v1/metrics")


def raw(port: int, path: str, headers: dict[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return reply


def signed(port: int, path: str, key: str = "", secret: str = "", region: str = REGION) -> dict[str, str]:
    """SigV4 headers for GET ``path`` with the local credentials (or ``key``/``secret`` given)."""
    return sigv4.sign("GET", f"http://127.0.0.1:{port}{path}", key=key, secret=secret, region=region)


def caller(mode: str, port: int, path: str) -> dict[str, str]:
    """What an operator sends: a SigV4 signature behind API Gateway, a service token behind Kong."""
    return signed(port, path) if mode == "apigw" else {"Authorization": f"Bearer {token('service')}"}


@pytest.mark.parametrize("route", ["health", "ready", "info", "version", "status"])
def test_the_public_routes_answer_anyone(gateway, route):
    _, client = gateway
    reply = client.call("GET", f"/public/{route}")
    assert reply.status == 200, reply.json
    assert reply.json["success"] is True


def test_public_ready_and_status_see_the_local_database_and_redis_up(gateway):
    _, client = gateway
    for route in ("ready", "status"):
        data = client.call("GET", f"/public/{route}").json["data"]
        assert {c["name"]: c["state"] for c in data["components"]} == {"database": "up", "redis": "up"}


@pytest.mark.parametrize("path", INTERNAL)
def test_an_operator_reaches_the_internal_routes(gateway, path):
    mode, client = gateway
    reply = raw(client.port, path, caller(mode, client.port, path))
    assert reply.status == 200, reply.raw[:300]


def test_an_unsigned_request_to_an_internal_route_is_refused_in_both_modes(gateway):
    mode, client = gateway
    for path in INTERNAL:
        reply = raw(client.port, path)
        # API Gateway answers an unsigned IAM route as a path it does not serve; the function behind Kong, 401.
        assert (reply.status, reply.code) == ((404, "BIZ_001") if mode == "apigw" else (401, "AUTH_001")), path
        user = raw(client.port, path, {"Authorization": f"Bearer {token('user')}"})
        # not SigV4 behind API Gateway: INVALID_SIGNATURE (README "Operations"); a user's token behind Kong: 403
        assert (user.status, user.code) == ((401, "AUTH_001") if mode == "apigw" else (403, "AUTH_003")), path


def test_a_preflight_on_an_internal_route_is_204_without_a_signature_or_token_in_both_modes(gateway):
    """New-user pass: OPTIONS /api/v1/metrics answered 404 behind Kong (and API Gateway), the contract says 204."""
    mode, client = gateway
    origin = "http://localhost:5173"
    internal_only = ("/api/v1/internal/users/validate", "/api/v1/internal/orders/process")
    for path in (*INTERNAL, *internal_only):
        connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
        connection.request("OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        response = connection.getresponse()
        headers, body = {k.lower(): v for k, v in response.getheaders()}, response.read()
        connection.close()
        if mode == "kong" and path in internal_only:  # API Gateway's alone: Kong serves no such route
            assert response.status == 404, path
            continue
        assert (response.status, body) == (204, b""), (path, body[:200])
        assert headers["access-control-allow-origin"] == origin, path
        assert headers["access-control-allow-methods"] == ("POST" if path in internal_only else "GET"), path


def test_api_gateway_mode_checks_the_signature_as_aws_iam_does(gateway):
    mode, client = gateway
    if mode != "apigw":
        pytest.skip("SigV4 is API Gateway's")
    path = "/api/v1/health"
    assert raw(client.port, path, signed(client.port, path)).status == 200
    wrong_secret = signed(client.port, path, secret="not-the-local-secret")
    unknown_key = signed(client.port, path, key="AKIDUNKNOWN", secret="local")
    other_path = signed(client.port, "/api/v1/live")
    other_region = signed(client.port, path, region="us-east-1")
    for headers in (wrong_secret, unknown_key, other_path, other_region, {"Authorization": "AWS4-HMAC-SHA256 x"}):
        reply = raw(client.port, path, headers)
        assert (reply.status, reply.code) == (401, "AUTH_001"), headers
    stale = signed(client.port, path)
    stale_time = (datetime.now(UTC) - timedelta(minutes=6)).strftime("%Y%m%dT%H%M%SZ")
    request = HttpRequest("GET", path, "", [("Host", f"127.0.0.1:{client.port}")], b"")
    key = LOCAL_AWS["AWS_ACCESS_KEY_ID"]
    stale_signature = sigv4.signature(
        request, {"host": f"127.0.0.1:{client.port}", "x-amz-date": stale_time}, key, "local", stale_time
    )
    stale["X-Amz-Date"] = stale_time
    stale["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{stale_time[:8]}/{REGION}/execute-api/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={stale_signature}"
    )
    assert raw(client.port, path, stale).status == 401, "a signature older than 5 minutes"


def test_metrics_report_every_source_up_in_the_prometheus_text_format(gateway):
    mode, client = gateway
    path = "/api/v1/metrics"
    reply = raw(client.port, path, caller(mode, client.port, path))
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(reply.raw.decode())}
    up = {s.labels["source"]: s.value for s in families["storefront_metrics_source_up"].samples}
    # The local Redis stand-in answers INFO with its keyspace hits and misses (localdev/redis_stand_in.py).
    assert up == {"queues": 1.0, "outbox": 1.0, "orders": 1.0, "cache": 1.0, "db_pool": 1.0}
    ratio = families["storefront_cache_hit_ratio"].samples[0].value
    assert 0.0 <= ratio <= 1.0
    counted = {s.name: s.value for f in families.values() for s in f.samples}
    hits, misses = counted["storefront_cache_hits_total"], counted["storefront_cache_misses_total"]
    assert ratio == (hits / (hits + misses) if hits + misses else 0.0)
    new = {"sku": f"OPS-{uuid.uuid4().hex[:8]}", "name": "Mug", "price": {"amount": "5.00", "currency": "EUR"}}
    created = client.call("POST", "/products", token=token("admin"), body={**new, "stock": 1})
    assert created.status == 201, created.json
    for expected in ("MISS", "HIT"):  # a cached read: a miss, then a hit
        read = client.call("GET", f"/products/{created.json['data']['id']}", token=token("admin"))
        assert read.headers["x-cache"] == expected
    again = {s.name: s.value for f in text_string_to_metric_families(
        raw(client.port, path, caller(mode, client.port, path)).raw.decode()) for s in f.samples}  # fmt: skip
    assert again["storefront_cache_hits_total"] > hits
    assert again["storefront_cache_misses_total"] > misses
    queues = {s.labels["queue"] for s in families["storefront_queue_messages"].samples}
    assert queues == {"storefront-dev-order-processing", "storefront-dev-payment", "storefront-dev-notification"}
    dead = {s.labels["queue"] for s in families["storefront_dead_letter_queue_messages"].samples}
    assert dead == {f"{q}-dlq" for q in queues}
    statuses = {s.labels["status"] for s in families["storefront_orders"].samples}
    assert "PENDING" in statuses
    assert "storefront_outbox_oldest_age_seconds" in families
    connections = {s.labels["state"] for s in families["storefront_db_pool_connections"].samples}
    assert connections == {"in_use", "idle"}


def _pending_orders(reply: Reply) -> float:
    families = {f.name: f for f in text_string_to_metric_families(reply.raw.decode())}
    return next(s.value for s in families["storefront_orders"].samples if s.labels["status"] == "PENDING")


def test_the_metrics_show_no_caller_another_tenants_orders(gateway):
    """Behind Kong an admin token of any tenant read the metrics, orders by status of every tenant included. Now
    behind Kong only a service token reads them, with its tenant's orders; behind API Gateway the IAM caller is
    the deployment's operator and counts every tenant's."""
    from sqlalchemy import create_engine, insert

    from storefront.adapters.db.tables import ORDERS
    from tests.integration.test_operational_metrics import _order_row

    mode, client = gateway
    path = "/api/v1/metrics"
    other_tenant = str(uuid.uuid4())
    engine = create_engine(client.database_url)
    with engine.begin() as connection:
        connection.execute(insert(ORDERS), [_order_row(uuid.UUID(other_tenant), "PENDING", datetime.now(UTC))])
    engine.dispose()
    if mode == "apigw":
        everyone = raw(client.port, path, signed(client.port, path))
        assert everyone.status == 200
        assert _pending_orders(everyone) >= 1
        return
    for role in ("admin", "user"):
        refused = raw(client.port, path, {"Authorization": f"Bearer {token(role, tenant=other_tenant)}"})
        assert (refused.status, refused.code) == (403, "AUTH_003"), role
    mine = raw(client.port, path, {"Authorization": f"Bearer {token('service', tenant=other_tenant)}"})
    assert mine.status == 200
    assert _pending_orders(mine) == 1
    fresh = raw(client.port, path, {"Authorization": f"Bearer {token('service', tenant=str(uuid.uuid4()))}"})
    assert _pending_orders(fresh) == 0


ONE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def _date_times(value: object, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON document that is a date-time (not a bare date), with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _date_times(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _date_times(item, f"{where}[{index}]")
    elif isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}T", value):
        yield where, value


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/public/version", None),
        ("/public/info", None),
        ("/public/status", None),
        ("/public/nowhere", None),  # an error's timestamp
        ("/admin/stats", "admin"),
        ("/admin/reports?date_from=2026-01-01&date_to=2026-01-31", "admin"),
        ("/admin/analytics?date_from=2026-01-01&date_to=2026-01-31", "admin"),
        ("/admin/users?limit=3", "admin"),
        ("/admin/orders?limit=3", "admin"),
        ("/products?limit=3", "admin"),
        ("/profile", "admin"),
        ("/services/products/sync?limit=3", "service"),
    ],
)
def test_every_time_a_client_sees_has_the_envelopes_one_format(gateway, path, role):
    """public/version's built_at had +00:00 and microseconds, the reports' generated_at microseconds, while the
    envelope writes milliseconds and Z: every date-time in every answer is now the envelope's format."""
    mode, client = gateway
    headers = {}
    if role == "service":
        from localdev.service_key import new_service_key

        headers = {"X-Service-Name": "e2e-times", "X-API-Key": new_service_key(client.database_url, "e2e-times")}
    reply = client.call("GET", path, token=token(role) if role else None, headers=headers)
    assert reply.status < 500, reply.json
    found = dict(_date_times(reply.json))
    assert ".meta.timestamp" in found
    assert {where: value for where, value in found.items() if not ONE_FORMAT.fullmatch(value)} == {}, mode
