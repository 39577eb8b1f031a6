"""/api/v1/ready and public/ready against real servers of the test's own, stopped mid-run: 503 naming the
component that stopped, within the deadline; public/status reports the same; metrics keep answering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from localdev.runtime import LambdaContext, load_handler
from localdev.stack import migrate
from storefront import bootstrap
from tests.integration.private_postgres import PrivatePostgres
from tests.unit.handlers import event

READY = ("operations.ready.handler", "operations/ready.json")
PUBLIC_READY = ("operations.public_ready.handler", "operations/public_ready.json")
STATUS = ("operations.status.handler", "operations/status.json")
METRICS = ("operations.metrics.handler", "operations/metrics.json")
DEADLINE = 1.0


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        server.remove()


def answer(route: tuple[str, str]) -> tuple[int, float, str]:
    handler, sample = route
    started = time.perf_counter()
    result = load_handler(handler)(event(sample), LambdaContext("test"))
    return result["statusCode"], time.perf_counter() - started, result["body"]


def components(body: str) -> dict[str, str]:
    data = json.loads(body)
    if data["success"]:
        return {c["name"]: c["state"] for c in data["data"]["components"]}
    assert data["error"]["code"] == "SYS_003"
    return dict(data["error"]["details"]["components"])


def test_ready_names_the_server_that_stopped(private_postgres, redis_server, monkeypatch):
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("DATABASE_URL", private_postgres.url)
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{redis_server.port}/0")
    monkeypatch.setenv("READY_DEADLINE_SECONDS", str(DEADLINE))
    monkeypatch.setenv("DB_POOL_TIMEOUT_SECONDS", "1")
    bootstrap.reset()
    migrate(private_postgres.url)
    for route in (READY, PUBLIC_READY):
        status, _, body = answer(route)
        assert (status, components(body)) == (200, {"database": "up", "redis": "up"}), body

    private_postgres.stop()
    for route in (READY, PUBLIC_READY):
        status, took, body = answer(route)
        assert (status, components(body)) == (503, {"database": "down", "redis": "up"}), body
        assert json.loads(body)["error"]["message"] == "Not ready: database unavailable"
        assert took < DEADLINE + 1.0, took
        assert "psycopg" not in body
        assert "127.0.0.1" not in body
    status, _, body = answer(STATUS)
    assert (status, json.loads(body)["data"]["status"]) == (200, "degraded")

    redis_server.kill()
    status, took, body = answer(READY)
    assert (status, components(body)) == (503, {"database": "down", "redis": "down"}), body
    assert took < DEADLINE + 1.0, took
    assert json.loads(answer(STATUS)[2])["data"]["status"] == "down"

    # Metrics still answer 200, each source that lost its server reported down.
    status, took, body = answer(METRICS)
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(body)}
    up = {s.labels["source"]: s.value for s in families["storefront_metrics_source_up"].samples}
    assert up["outbox"] == up["orders"] == up["cache"] == 0.0


def test_ready_waits_no_longer_than_the_deadline_for_a_server_that_never_answers(monkeypatch):
    """A listener that accepts connections and never speaks: the probe gives up at the deadline."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        monkeypatch.setenv("GATEWAY_MODE", "apigw")
        monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
        monkeypatch.setenv("READY_DEADLINE_SECONDS", "0.5")
        bootstrap.reset()
        status, took, body = answer(READY)
        assert (status, components(body)) == (503, {"database": "down", "redis": "down"}), body
        assert took < 1.5, took
    finally:
        listener.close()
