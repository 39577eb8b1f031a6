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
