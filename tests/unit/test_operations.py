"""The operational endpoints: readiness within a deadline, metrics that never fail, the internal routes' callers,
the build stamp, the profiling switch and what the logs carry."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from localdev.runtime import LambdaContext, load_handler
from localdev.stamp import stamp
from storefront import bootstrap, observability
from storefront.application import operations
from storefront.build_info import UNKNOWN, build_info
from storefront.domain.health import NotReady, Sample, counter, gauge
from storefront.http.prometheus import CONTENT_TYPE, exposition
from tests.fakes import FakeMetricSource, FakeProbe
from tests.unit.handlers import call, event, set_header

INTERNAL = {
    "health": "operations.health.handler",
    "live": "operations.live.handler",
    "ready": "operations.ready.handler",
    "metrics": "operations.metrics.handler",
}
TENANT = "00000000-0000-4000-8000-000000000001"
OPERATOR = "7d9c2a51-3f55-4e57-bb8e-2a3f1c9a0042"


@pytest.fixture
def apigw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    bootstrap.provide(probes=[FakeProbe("database"), FakeProbe("redis")], metric_sources=[])


# --- readiness ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("database_fails", "redis_fails", "down"),
    [(False, False, []), (True, False, ["database"]), (False, True, ["redis"]), (True, True, ["database", "redis"])],
)
def test_readiness_names_every_component_that_failed(database_fails, redis_fails, down):
    probes = [FakeProbe("database", fails=database_fails), FakeProbe("redis", fails=redis_fails)]
    if not down:
        assert [c.name for c in operations.require_ready(probes, 1.0)] == ["database", "redis"]
        return
    with pytest.raises(NotReady) as refused:
        operations.require_ready(probes, 1.0)
    assert refused.value.details == {
        "components": {"database": "down" if database_fails else "up", "redis": "down" if redis_fails else "up"}
    }
    assert refused.value.message == f"Not ready: {', '.join(down)} unavailable"


def test_a_probe_that_hangs_costs_the_deadline_not_more():
    probes = [FakeProbe("database", delay=3.0), FakeProbe("redis")]
    started = time.perf_counter()
    found = operations.check_components(probes, 0.2)
    took = time.perf_counter() - started
    assert took < 1.0, took
    database, redis = found
    assert (database.up, database.reason) == (False, "no answer within 0.2 s")
    assert database.latency_ms == 200.0
    assert redis.up


def test_probes_run_at_once_so_the_slowest_sets_the_time():
    probes = [FakeProbe("database", delay=0.3), FakeProbe("redis", delay=0.3)]
    started = time.perf_counter()
    assert all(c.up for c in operations.check_components(probes, 1.0))
    assert time.perf_counter() - started < 0.55


@pytest.mark.parametrize(("fails", "state"), [((), "ok"), (("redis",), "degraded"), (("database", "redis"), "down")])
def test_the_overall_state(fails, state):
    found = operations.check_components([FakeProbe(n, fails=n in fails) for n in ("database", "redis")], 1.0)
    assert operations.overall_state(found) == state


@pytest.mark.parametrize("handler", ["operations.ready.handler", "operations.public_ready.handler"])
def test_ready_answers_503_in_the_envelope_naming_the_component(apigw, handler):
    evt = event("operations/ready.json" if handler.endswith(".ready.handler") else "operations/public_ready.json")
    bootstrap.provide(probes=[FakeProbe("database", fails=True), FakeProbe("redis")])
    status, headers, body = call(handler, evt)
    assert status == 503
    assert body["success"] is False
    assert body["status_code"] == 503
    assert body["error"]["code"] == "SYS_003"
    assert body["error"]["message"] == "Not ready: database unavailable"
    assert body["error"]["details"] == {"components": {"database": "down", "redis": "up"}}
    assert headers["Cache-Control"] == ["no-store"]
    bootstrap.provide(probes=[FakeProbe("database"), FakeProbe("redis")])
    status, _, body = call(handler, evt)
    assert status == 200
    assert body["data"]["status"] == "ready"
    assert [(c["name"], c["state"], c["reason"]) for c in body["data"]["components"]] == [
        ("database", "up", None),
        ("redis", "up", None),
    ]


def test_status_reports_every_component_and_always_answers_200(apigw):
    bootstrap.provide(probes=[FakeProbe("database"), FakeProbe("redis", fails=True)])
    status, _, body = call("operations.status.handler", event("operations/status.json"))
    assert status == 200
    assert body["data"]["status"] == "degraded"
    assert {c["name"]: c["state"] for c in body["data"]["components"]} == {"database": "up", "redis": "down"}
    assert body["data"]["components"][1]["reason"] == "ConnectionRefusedError"


# --- metrics ------------------------------------------------------------------------------------------------


def _parsed(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_the_exposition_is_what_prometheus_parses():
    families = [
        gauge(
            "storefront_queue_messages",
            'Depth "now"\nby state',
            Sample(3, (("queue", 'a"b\\c\nd'), ("state", "visible"))),
        ),
        counter("storefront_cache_hits", "Hits.", 7),
        gauge("storefront_nothing", "Empty."),
        gauge("storefront_odd", "Not a number.", Sample(float("nan")), Sample(float("inf"), (("k", "v"),))),
    ]
    parsed = _parsed(exposition(families))
    assert parsed["storefront_queue_messages"] == {(("queue", 'a"b\\c\nd'), ("state", "visible")): 3.0}
    assert parsed["storefront_cache_hits_total"] == {(): 7.0}
    assert parsed["storefront_odd"][(("k", "v"),)] == float("inf")
    # New-user pass: the counter's TYPE named the bare name, so the parser typed its samples "unknown"
    types = {family.name: family.type for family in text_string_to_metric_families(exposition(families))}
    assert types == {
        "storefront_queue_messages": "gauge",
        "storefront_cache_hits": "counter",
        "storefront_nothing": "gauge",
        "storefront_odd": "gauge",
    }


def test_a_failing_or_late_source_is_reported_down_and_the_others_still_answer():
    good = FakeMetricSource("orders", [gauge("storefront_orders", "Orders.", Sample(4, (("status", "PENDING"),)))])
    sources = [good, FakeMetricSource("queues", fails=True), FakeMetricSource("cache", delay=3.0)]
    started = time.perf_counter()
    parsed = _parsed(exposition(operations.collect_metrics(sources, 0.2)))
    assert time.perf_counter() - started < 1.0
    assert parsed["storefront_orders"] == {(("status", "PENDING"),): 4.0}
    assert parsed[operations.SOURCE_UP] == {
        (("source", "orders"),): 1.0,
        (("source", "queues"),): 0.0,
        (("source", "cache"),): 0.0,
    }


def test_metrics_answers_the_prometheus_text_format(apigw):
    bootstrap.provide(
        metric_sources=[
            FakeMetricSource("outbox", [gauge("storefront_outbox_backlog_messages", "Backlog.", Sample(2))]),
            FakeMetricSource("queues", fails=True),
        ]
    )
    result = load_handler(INTERNAL["metrics"])(event("operations/metrics.json"), LambdaContext("test"))
    assert result["statusCode"] == 200
    assert result["multiValueHeaders"]["Content-Type"] == [CONTENT_TYPE]
    parsed = _parsed(result["body"])
    assert parsed["storefront_outbox_backlog_messages"] == {(): 2.0}
    assert parsed[operations.SOURCE_UP][(("source", "queues"),)] == 0.0


# --- who may call the internal routes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INTERNAL))
def test_behind_api_gateway_an_internal_route_needs_the_iam_caller(apigw, name):
    evt = event(f"operations/{name}.json")
    assert load_handler(INTERNAL[name])(evt, LambdaContext("test"))["statusCode"] == 200
    for field in ("userArn", "accessKey"):
        stripped = event(f"operations/{name}.json")
        stripped["requestContext"]["identity"].pop(field)
        status, _, body = call(INTERNAL[name], stripped)
        assert (status, body["error"]["code"]) == (401, "AUTH_001"), field
    # A token's claims in an authorizer context do not stand in for IAM.
    spoofed = event(f"operations/{name}.json")
    spoofed["requestContext"]["identity"] = {"sourceIp": "203.0.113.10"}
    spoofed["requestContext"]["authorizer"] = {
        "sub": OPERATOR,
        "role": "admin",
        "tenant_id": TENANT,
        "exp": "9999999999",
    }
    assert call(INTERNAL[name], spoofed)[0] == 401


def _kong_event(name: str, token: str | None) -> dict:
    evt = event(f"operations/{name}.json")
    evt["requestContext"]["identity"] = {"sourceIp": "10.0.0.5"}
    for header in ("Authorization", "X-Amz-Date"):
        evt["headers"].pop(header)
        evt["multiValueHeaders"].pop(header)
    if token is not None:
        set_header(evt, "Authorization", f"Bearer {token}")
        set_header(evt, "X-Consumer-ID", "c-1")
        set_header(evt, "X-Consumer-Username", "storefront-web")
        set_header(evt, "X-Credential-Identifier", "storefront-web")
    return evt


@pytest.mark.parametrize(
    ("role", "statuses"),
    [
        ("service", {"health": 200, "live": 200, "ready": 200, "metrics": 200}),
        # An admin is one tenant's: the metrics (queues, every tenant's orders behind IAM) are not its to read.
        ("admin", {"health": 200, "live": 200, "ready": 200, "metrics": 403}),
        ("user", dict.fromkeys(INTERNAL, 403)),
        (None, dict.fromkeys(INTERNAL, 401)),
    ],
)
def test_behind_kong_an_internal_route_needs_a_service_token_and_the_metrics_no_other(
    monkeypatch, tokens, role, statuses
):
    monkeypatch.setenv("GATEWAY_MODE", "kong")
    bootstrap.provide(probes=[FakeProbe("database"), FakeProbe("redis")], metric_sources=[])
    token = (
        None if role is None else tokens.issue("storefront-web", {"sub": OPERATOR, "role": role, "tenant_id": TENANT})
    )
    for name in sorted(INTERNAL):
        result = load_handler(INTERNAL[name])(_kong_event(name, token), LambdaContext("test"))
        assert result["statusCode"] == statuses[name], name


def _tenant_sources(asked: list[object]):
    def sources(tenant_id):
        asked.append(tenant_id)
        return [
            FakeMetricSource("orders", [gauge("storefront_orders", "Orders.", Sample(1, (("status", "PENDING"),)))])
        ]

    return sources


@pytest.mark.parametrize("mode", ["kong", "apigw"])
def test_the_metrics_count_the_token_tenants_rows_behind_kong_and_every_tenants_for_an_iam_operator(
    monkeypatch, tokens, mode
):
    """Behind Kong any tenant's admin read orders by status of every tenant; now only a service token gets in,
    and its tenant's rows only. Behind API Gateway the IAM caller operates the deployment: no tenant filter."""
    from uuid import UUID

    monkeypatch.setenv("GATEWAY_MODE", mode)
    asked: list[object] = []
    bootstrap.provide(probes=[], metric_sources=_tenant_sources(asked))
    if mode == "kong":
        token = tokens.issue("storefront-web", {"sub": OPERATOR, "role": "service", "tenant_id": TENANT})
        evt = _kong_event("metrics", token)
    else:
        evt = event("operations/metrics.json")
    result = load_handler(INTERNAL["metrics"])(evt, LambdaContext("test"))
    assert result["statusCode"] == 200, result["body"]
    assert asked == [UUID(TENANT) if mode == "kong" else None]


# --- public routes, build stamp -----------------------------------------------------------------------------


def test_public_health_info_and_version(apigw, monkeypatch):
    assert call("operations.public_health.handler", event("operations/public_health.json"))[2]["data"] == {
        "status": "ok"
    }
    status, headers, body = call("operations.info.handler", event("operations/info.json"))
    assert status == 200
    assert headers["Cache-Control"] == ["public, max-age=60"]  # outside pass: reads set Cache-Control
    assert body["data"]["name"] == "storefront"
    assert body["data"]["api_version"] == "1.0.0"
    assert set(body["data"]) == {"name", "description", "environment", "region", "api_version"}
    status, headers, body = call("operations.version.handler", event("operations/version.json"))
    assert status == 200
    assert headers["Cache-Control"] == ["public, max-age=60"]
    assert body["data"] == {
        "version": build_info().version,
        "revision": build_info().revision,
        "built_at": build_info().built_at,
    }


def test_the_stamp_is_what_the_function_reads(tmp_path: Path):
    written = stamp(tmp_path / "build.json")
    read = build_info.__wrapped__(tmp_path / "build.json")
    assert (read.version, read.revision, read.built_at) == (
        written["version"],
        written["revision"],
        written["built_at"],
    )
    assert read.version == "0.1.0"
    assert len(read.revision.removesuffix("-dirty")) == 40 or read.revision == UNKNOWN


@pytest.mark.parametrize(
    ("stamped", "answered"),
    [
        ("2026-11-29T17:30:05.123456+00:00", "2026-11-29T17:30:05.123Z"),  # what `make build` wrote before
        ("2026-11-29T18:30:05+01:00", "2026-11-29T17:30:05.000Z"),
        ("2026-11-29T17:30:05.123Z", "2026-11-29T17:30:05.123Z"),
        ("", None),
    ],
)
def test_built_at_is_answered_in_the_envelopes_timestamp_format(tmp_path: Path, stamped, answered):
    path = tmp_path / "build.json"
    path.write_text(json.dumps({"version": "1", "revision": "r", "built_at": stamped}))
    assert build_info.__wrapped__(path).built_at == answered
    fresh = stamp(tmp_path / "fresh.json")["built_at"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", fresh)


@pytest.mark.parametrize("content", [None, "not json", "[1, 2]"])
def test_an_unstamped_tree_answers_unknown(tmp_path: Path, content):
    path = tmp_path / "build.json"
    if content is not None:
        path.write_text(content)
    read = build_info.__wrapped__(path)
    assert (read.version, read.revision, read.built_at) == (UNKNOWN, UNKNOWN, None)


# --- profiling switch and the log ----------------------------------------------------------------------------


@contextmanager
def logged() -> Iterator[list[dict]]:
    """The JSON entries the functions' logger writes within the block."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.logger.registered_formatter)
    observability.logger.addHandler(handler)
    entries: list[dict] = []
    try:
        yield entries
    finally:
        observability.logger._logger.removeHandler(handler)
        entries.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_profiling_is_off_by_default(monkeypatch):
    monkeypatch.delenv(observability.PROFILE_SWITCH, raising=False)

    def handler(event, context):
        return {"statusCode": 200}

    assert observability.profiled(handler) is handler


def test_the_profiling_switch_logs_the_top_entries(monkeypatch):
    monkeypatch.setenv(observability.PROFILE_SWITCH, "true")
    monkeypatch.setenv(observability.PROFILE_TOP, "5")

    def busy(n: int) -> int:
        return sum(i * i for i in range(n))

    def handler(event, context):
        return {"statusCode": 200, "n": busy(20000)}

    wrapped = observability.profiled(handler)
    assert wrapped is not handler
    with logged() as entries:
        assert wrapped({}, None) == {"statusCode": 200, "n": busy(20000)}
    (entry,) = [e for e in entries if e["message"] == "handler profile"]
    profile = entry["profile"]
    assert len(profile) == 5
    assert any("(busy)" in row["function"] for row in profile)
    assert profile == sorted(profile, key=lambda row: row["cumulative_ms"], reverse=True)
    assert set(profile[0]) == {"function", "calls", "own_ms", "cumulative_ms"}


def test_log_entries_carry_request_id_trace_id_tenant_and_user(monkeypatch, tokens):
    """A log line written during a request names the request, its X-Ray trace, the tenant and the user."""
    monkeypatch.setenv("GATEWAY_MODE", "kong")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1")
    bootstrap.provide(probes=[FakeProbe("database", fails=True), FakeProbe("redis")], metric_sources=[])
    token = tokens.issue("storefront-web", {"sub": OPERATOR, "role": "service", "tenant_id": TENANT})
    evt = _kong_event("ready", token)
    evt["requestContext"]["requestId"] = "req-ops-0001"  # Kong's own id for the request
    with logged() as lines:
        result = load_handler(INTERNAL["ready"])(evt, LambdaContext("test"))
    assert result["statusCode"] == 503
    (failed,) = [line for line in lines if line.get("message") == "dependency check failed"]
    assert failed["correlation_id"] == "req-ops-0001"
    assert failed["xray_trace_id"] == "1-67891233-abcdef012345678912345678"
    assert failed["tenant_id"] == TENANT
    assert failed["user_id"] == OPERATOR
    assert failed["component"] == "database"


def test_the_benchmark_table_of_the_operational_endpoints():
    from benchmarks.operations import table

    assert table([("/api/v1/ready, warm", 0.8, 7.25)]).splitlines() == [
        "| measurement | p50 ms | p99 ms |",
        "| --- | ---: | ---: |",
        "| /api/v1/ready, warm | 0.80 | 7.25 |",
    ]


def test_a_consumer_is_profiled_when_the_switch_is_on(monkeypatch):
    from storefront.consumers.entry import sqs_entry

    monkeypatch.setenv(observability.PROFILE_SWITCH, "on")
    handler = sqs_entry(lambda message: None)
    with logged() as entries:
        answer = handler(event("orders/process_order.json"), LambdaContext("consumer"))
    assert "batchItemFailures" in answer  # the consumer's own answer, profiled or not
    assert [e["message"] for e in entries].count("handler profile") == 1
    monkeypatch.delenv(observability.PROFILE_SWITCH)
    with logged() as entries:
        sqs_entry(lambda message: None)(event("orders/process_order.json"), LambdaContext("consumer"))
    assert "handler profile" not in [e["message"] for e in entries]
