"""The Makefile as a newcomer meets it: `make help`, and installs that do not race each other."""

from __future__ import annotations

import contextlib
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

from localdev.paths import ROOT

# Stands in for python3.11 and for the virtualenv's python and pip: creating a "virtualenv" is instant,
# an install takes a second and logs when it starts and ends, the tools print a fixed line.
FAKE_PYTHON = """#!/bin/bash
case "$1" in
  localdev/locked.py) exec {real_python} "$@" ;;
  -c) exit 0 ;;
esac
case "$2" in
  venv) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && cp "$(dirname "$0")/pip" "$3/bin/pip" ;;
  localdev.issue_token) echo TOKEN ;;
  localdev.gateway) echo gateway ;;
esac
"""
FAKE_PIP = """#!/bin/bash
log="$(dirname "$(dirname "$(dirname "$0")")")/installs.log"
echo "start $$" >> "$log"
sleep 1
echo "end $$" >> "$log"
"""


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_make_token_while_make_run_installs_waits_for_that_install(tmp_path):
    python = _executable(tmp_path / "python3.11", FAKE_PYTHON.format(real_python=sys.executable))
    _executable(tmp_path / "pip", FAKE_PIP)
    (tmp_path / "installs.log").touch()
    make = ["make", "-s", "-C", str(ROOT), f"PYTHON={python}", f"VENV={tmp_path / '.venv'}"]
    first = subprocess.Popen([*make, "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # `make run` is installing
    second = subprocess.run([*make, "token"], capture_output=True, text=True, timeout=60, check=False)
    first_out, first_err = first.communicate(timeout=60)

    assert (first.returncode, second.returncode) == (0, 0), (first_err, second.stderr)
    assert second.stdout == "TOKEN\n", "stdout carries the token alone"
    assert first_out == "gateway\n"
    log = (tmp_path / "installs.log").read_text().split()
    assert log[::2] == ["start", "end"], f"one install, not two at once: {log}"


def test_make_help_lists_every_target_with_its_description():
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, check=True)
    listed = dict(re.findall(r"^  (\S+) +(\S.*)$", result.stdout, re.M))
    phony = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert phony is not None
    internal = {"local-env", "dev-env", "sam-env"}
    assert set(phony.group(1).replace("\\", " ").split()) - internal == set(listed)
    assert all(len(text) > 10 for text in listed.values()), listed


def test_make_token_refuses_a_lifetime_over_the_limit_without_a_traceback():
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "token", "TTL=4000"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "at most 3600 seconds" in result.stderr
    assert "Traceback" not in result.stderr


def test_make_token_names_a_tenant_that_is_not_a_uuid():
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "token", "TENANT=not-a-uuid"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "TENANT must be a UUID" in result.stderr
    assert "lambda" not in result.stderr


def test_every_target_that_runs_the_venv_installs_it_under_the_lock():
    """Outside pass: `make kong`, `make openapi` and `make fuzz` installed without the lock, so a `make token`
    started meanwhile ran pip over the same .venv and failed."""
    makefile = (ROOT / "Makefile").read_text()
    for target in ("kong", "openapi", "fuzz", "token", "invoke", "oracle-sql", "run", "test"):
        line = next(line for line in makefile.splitlines() if line.startswith(f"{target}:"))
        prerequisites = line.split(":", 1)[1].split()
        assert prerequisites[0] in ("local-env", "dev-env"), line


def test_the_busy_port_hint_names_a_port_that_is_free():
    import socket

    from localdev.gateway import next_free_port

    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        port = first.getsockname()[1]
        with contextlib.suppress(OSError):  # already taken by someone else: busy either way
            second.bind(("127.0.0.1", port + 1))
        hint = next_free_port("127.0.0.1", port + 1)
        assert hint is not None
        assert hint >= port + 2
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", hint))


def test_the_gateway_starts_from_a_bare_interpreter_as_make_run_starts_it():
    """`make run` is `python -m localdev.gateway` with nothing on PYTHONPATH: a module-level import of the shared
    layer (before the gateway puts shared/ on sys.path) stopped it with ModuleNotFoundError."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    started = subprocess.run(
        [sys.executable, "-m", "localdev.gateway", "--help"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
    assert "--mode" in started.stdout
