"""`make fuzz`: the schemathesis call it makes and how it waits for the gateway."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from localdev.events import HttpRequest
from localdev.fuzz import CHECKS, fuzzed_operations, schemathesis_command
from localdev.gateway_process import wait_for_port
from localdev.openapi import SPEC
from localdev.stack import free_port


def operation_ids() -> set[str]:
    return {
        op["operationId"]
        for path in json.loads(SPEC.read_text())["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_schemathesis_runs_every_check_on_the_committed_document_with_the_token(tmp_path):
    command = schemathesis_command("http://127.0.0.1:3000", "T0KEN", 7, 42, tmp_path)
    assert command[command.index("run") + 1] == str(SPEC)
    assert option(command, "--url") == "http://127.0.0.1:3000"
    assert option(command, "--header") == "Authorization: Bearer T0KEN"
    assert option(command, "--checks").split(",") == list(CHECKS)
    assert {"not_a_server_error", "response_schema_conformance"} <= set(CHECKS)
    assert (option(command, "--max-examples"), option(command, "--seed")) == ("7", "42")
    assert option(command, "--workers") == "1"
    assert option(command, "--report-dir") == str(tmp_path)


def test_waiting_stops_when_the_gateway_exits(tmp_path):
    log = tmp_path / "gateway.log"
    log.write_text("boom: the gateway could not start")
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    with pytest.raises(RuntimeError, match="boom"):
        wait_for_port(free_port(), process, log)


def test_the_fuzzer_runs_behind_a_kong_whose_guard_it_cannot_reach(tmp_path, monkeypatch):
    from localdev.fuzz import FUZZ_GUARD, fuzz_kong_config
    from localdev.kong.declarative import declarative_config, load_kong

    path = fuzz_kong_config(tmp_path)
    monkeypatch.setenv("KONG_DECLARATIVE_CONFIG", str(path))
    assert declarative_config() == path
    kong = load_kong(declarative_config())  # still a config Kong accepts
    guards = [route.plugins["rate-limiting"] for route in kong.routes]
    assert guards
    assert all((g["minute"], g["hour"], g["day"]) == tuple(FUZZ_GUARD.values()) for g in guards)
    assert all(g["limit_by"] == "ip" and g["policy"] == "redis" for g in guards)


def test_operations_that_end_the_session_are_fuzzed_apart_from_the_rest(tmp_path):
    """Fuzzing logout with the shared admin token revoked it: every operation after it met only 401."""
    from localdev.fuzz import SESSION_ENDERS

    assert "logout" in SESSION_ENDERS
    command = schemathesis_command("http://x", "T", 1, 1, tmp_path, ["--exclude-operation-id", "logout"])
    assert command[-2:] == ["--exclude-operation-id", "logout"]


def test_operations_that_can_end_or_demote_the_callers_account_run_alone_as_admins_of_their_own():
    """`make fuzz` reported "DELETE /orders/{order_id}: only 401/403 responses": the fuzz admin had deleted its
    own account (DELETE admin/users/{its id}, an id from the spec's examples), so every later request was 401."""
    from localdev.fuzz import ACCOUNT_CHANGERS, SESSION_ENDERS, fuzz_runs

    made = iter(f"admin-{n}" for n in range(100))
    runs = fuzz_runs("subject", lambda: next(made))
    assert runs[0].admin == "subject"
    assert fuzzed_operations(runs[0].filters).isdisjoint({*SESSION_ENDERS, *ACCOUNT_CHANGERS})
    alone = [run for run in runs if run.admin not in (None, "subject")]
    assert [fuzzed_operations(run.filters) for run in alone] == [{op} for op in ACCOUNT_CHANGERS]
    assert len({run.admin for run in alone}) == len(ACCOUNT_CHANGERS)
    assert {"deleteUser", "adminDeleteUser", "banUser"} <= set(ACCOUNT_CHANGERS)
    assert set(ACCOUNT_CHANGERS) | set(SESSION_ENDERS) <= operation_ids()  # a renamed operation would slip back in


def test_every_operation_of_the_document_is_fuzzed_by_some_run_with_credentials_it_accepts():
    """The two internal POSTs were left out of `make fuzz` (the hook signed bodiless requests only): a run of some
    mode must select each operation of docs/openapi.json, as schemathesis's own CLI reads the run's filters."""
    from localdev.fuzz import MODES, fuzz_runs

    covered: dict[str, set[str]] = {}
    for mode in MODES:
        for run in fuzz_runs("subject", lambda: "other", mode):
            for operation in fuzzed_operations(run.filters):
                covered.setdefault(operation, set()).add(mode)
    assert set(covered) == operation_ids()
    assert covered["validateToken"] == covered["processOrder"] == {"apigw"}  # Kong has no route to them
    assert covered["internalMetrics"] == {"kong", "apigw"}


def test_operational_and_internal_operations_run_signed_behind_api_gateway_and_with_a_service_token_behind_kong(
    tmp_path,
):
    """Behind API Gateway the /api/v1 routes take AWS_IAM: a bearer token would only meet 401 (404 unsigned), so
    they run without the token, each request signed by localdev.fuzz_hooks, with the service key the internal
    ones need. Behind Kong the operational ones take a service token (the metrics answer no other role there)."""
    from localdev.fuzz import fuzz_runs

    (signed,) = [run for run in fuzz_runs("s", lambda: "o", "apigw") if run.signed]
    assert fuzzed_operations(signed.filters) == {
        "internalHealth",
        "internalLive",
        "internalReady",
        "internalMetrics",
        "validateToken",
        "processOrder",
    }
    assert not signed.service
    assert signed.admin is None
    assert not any(run.signed for run in fuzz_runs("s", lambda: "o", "kong"))
    kong_operational = [
        run for run in fuzz_runs("s", lambda: "o", "kong") if "internalMetrics" in fuzzed_operations(run.filters)
    ]
    assert [run.service for run in kong_operational] == [True]
    command = schemathesis_command("http://x", None, 1, 1, tmp_path, signed.filters, service_key="sk_k")
    assert not any(arg.startswith("Authorization") for arg in command)
    assert "X-API-Key: sk_k" in command


def signed_case(method: str, path: str, **parts):
    import schemathesis

    case = schemathesis.openapi.from_path(SPEC)[path][method].Case(**parts)
    from localdev.fuzz_hooks import SigV4

    auth = SigV4()
    auth.set(case, auth.get(case, None), None)
    return case


def as_sent(case) -> HttpRequest:
    """The request the local gateway receives for ``case``, as schemathesis's transport sends it."""
    from localdev.fuzz_hooks import signed_request

    prepared = signed_request(case, "http://127.0.0.1:3999")
    url = urlsplit(str(prepared.url))
    sent = prepared.body
    body = sent.encode() if isinstance(sent, str) else sent if isinstance(sent, bytes) else b""
    headers = [("Host", url.netloc), *((name, str(value)) for name, value in prepared.headers.items())]
    return HttpRequest(str(prepared.method), url.path, url.query, headers, body)


@pytest.mark.parametrize(
    ("method", "path", "parts"),
    [
        ("GET", "/api/v1/metrics", {"query": {"a": "1"}, "headers": {"Accept": "text/plain"}}),
        ("POST", "/api/v1/internal/users/validate", {"body": {"token": "a.b.c é"}}),
        ("POST", "/api/v1/internal/orders/process", {"body": {"order_id": "x", "extra": [1, None]}}),
        ("POST", "/api/v1/internal/users/validate", {"body": "not an object", "media_type": "application/json"}),
    ],
)
def test_the_hooks_sign_a_case_and_its_body_as_the_local_gateway_verifies(monkeypatch, method, path, parts):
    """The signature covers the payload hash of the very bytes sent: a body signed as b"" was INVALID_SIGNATURE."""
    from localdev import sigv4

    monkeypatch.setenv("FUZZ_BASE_URL", "http://127.0.0.1:3999")
    sent = as_sent(signed_case(method, path, **parts))
    assert isinstance(sigv4.verify(sent), sigv4.IamCaller)
    if sent.body:
        tampered = HttpRequest(sent.method, sent.path, sent.query, sent.headers, sent.body + b" ")
        assert sigv4.verify(tampered) == "INVALID_SIGNATURE"


def test_the_service_operations_run_apart_with_a_service_key(tmp_path):
    """An admin token meets only 403 on the contract's S routes: they are fuzzed with a service token and key."""
    import json

    from localdev.fuzz import FUZZ_SERVICE, SERVICE_TAG, fuzz_runs

    main, *others = fuzz_runs("subject", lambda: "other")
    assert main.filters[main.filters.index(SERVICE_TAG) - 1] == "--exclude-tag"
    assert [run.service for run in others if SERVICE_TAG in run.filters] == [True]
    command = schemathesis_command("http://x", "T", 1, 1, tmp_path, ["--include-tag", SERVICE_TAG], service_key="sk_k")
    assert f"X-Service-Name: {FUZZ_SERVICE}" in command
    assert "X-API-Key: sk_k" in command
    assert "X-API-Key: sk_k" not in schemathesis_command("http://x", "T", 1, 1, tmp_path)
    tagged = {
        op["operationId"]
        for path in json.loads(SPEC.read_text())["paths"].values()
        for op in path.values()
        if SERVICE_TAG in op.get("tags", ())
    }
    assert {"batchCreateProducts", "syncProducts", "bulkUpdateProducts"} <= tagged
