"""`make fuzz`: the schemathesis call it makes and how it waits for the gateway."""

from __future__ import annotations

import subprocess
import sys

import pytest

from localdev.fuzz import CHECKS, schemathesis_command
from localdev.gateway_process import wait_for_port
from localdev.openapi import SPEC
from localdev.stack import free_port


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
    import json

    from localdev.fuzz import ACCOUNT_CHANGERS, SESSION_ENDERS, fuzz_runs

    made = iter(f"admin-{n}" for n in range(100))
    runs = fuzz_runs("subject", lambda: next(made))
    main_caller, main = runs[0]
    assert main_caller == "subject"
    for operation in (*SESSION_ENDERS, *ACCOUNT_CHANGERS):
        assert main[main.index(operation) - 1] == "--exclude-operation-id"
    alone = runs[2:]
    assert [filters[1] for _, filters in alone] == list(ACCOUNT_CHANGERS)
    assert len({caller for caller, _ in alone}) == len(ACCOUNT_CHANGERS)
    assert "subject" not in {caller for caller, _ in alone}
    assert {"deleteUser", "adminDeleteUser", "banUser"} <= set(ACCOUNT_CHANGERS)
    operation_ids = {
        op["operationId"]
        for path in json.loads(SPEC.read_text())["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert set(ACCOUNT_CHANGERS) | set(SESSION_ENDERS) <= operation_ids  # a renamed operation would slip back in


def test_in_api_gateway_mode_the_internal_operations_run_apart_signed_with_sigv4(tmp_path):
    """Behind API Gateway the internal routes take AWS_IAM: a bearer token would only meet 401, so they run in a
    run of their own without the token, each request signed by localdev.fuzz_hooks."""
    from localdev.fuzz import INTERNAL_PATHS, fuzz_runs

    made = iter(f"admin-{n}" for n in range(100))
    runs = fuzz_runs("subject", lambda: next(made), signed_internal=True)
    _, main = runs[0]
    assert main[main.index(INTERNAL_PATHS) - 1] == "--exclude-path-regex"
    caller, internal = runs[-1]
    assert caller is None
    assert internal[:2] == ["--include-path-regex", INTERNAL_PATHS]
    assert all(INTERNAL_PATHS not in filters for _, filters in fuzz_runs("s", lambda: next(made)))
    command = schemathesis_command("http://x", None, 1, 1, tmp_path, internal)
    assert not any(arg.startswith("Authorization") for arg in command)


def test_the_hooks_sign_an_internal_case_as_the_local_gateway_verifies(monkeypatch):
    from types import SimpleNamespace

    from localdev import sigv4
    from localdev.events import HttpRequest
    from localdev.fuzz_hooks import SigV4

    monkeypatch.setenv("FUZZ_BASE_URL", "http://127.0.0.1:3999")
    case = SimpleNamespace(method="GET", path="/api/v1/metrics", query={"a": "1"}, headers={"Accept": "text/plain"})
    auth = SigV4()
    auth.set(case, auth.get(case, None), None)
    headers = [("Host", "127.0.0.1:3999"), *case.headers.items()]
    assert isinstance(sigv4.verify(HttpRequest("GET", "/api/v1/metrics", "a=1", headers, b"")), sigv4.IamCaller)


def test_the_service_operations_run_apart_with_a_service_key(tmp_path):
    """An admin token meets only 403 on the contract's S routes: they are fuzzed with a service token and key."""
    import json

    from localdev.fuzz import FUZZ_SERVICE, SERVICE_TAG, fuzz_runs

    (_, main), *_ = fuzz_runs("subject", lambda: "other")
    assert main[main.index(SERVICE_TAG) - 1] == "--exclude-tag"
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
