"""The operational routes through the local gateway: public ones in both modes, the internal ones signed with
SigV4 in API Gateway mode (as strictly as AWS_IAM) and with a service or admin token behind Kong."""

from __future__ import annotations

import http.client
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
        assert user.status == (401 if mode == "apigw" else 403), path


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
    # The local Redis stand-in (fakeredis) has no INFO command: the cache source is reported down, not an
    # error (tests/integration/test_operational_metrics.py reads it from a real Redis).
    assert up == {"queues": 1.0, "outbox": 1.0, "orders": 1.0, "cache": 0.0, "db_pool": 1.0}
    queues = {s.labels["queue"] for s in families["storefront_queue_messages"].samples}
    assert queues == {"storefront-dev-order-processing", "storefront-dev-payment", "storefront-dev-notification"}
    dead = {s.labels["queue"] for s in families["storefront_dead_letter_queue_messages"].samples}
    assert dead == {f"{q}-dlq" for q in queues}
    statuses = {s.labels["status"] for s in families["storefront_orders"].samples}
    assert "PENDING" in statuses
    assert "storefront_outbox_oldest_age_seconds" in families
    connections = {s.labels["state"] for s in families["storefront_db_pool_connections"].samples}
    assert connections == {"in_use", "idle"}
