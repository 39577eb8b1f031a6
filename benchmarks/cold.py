"""Cold starts: a fresh interpreter that imports a handler and serves its first request, timed from outside.

Each scenario starts a new process (as a new Lambda container would start a new runtime), so the time
covers interpreter start, imports, INIT work and the first request. Scenarios run round-robin, so a
busy moment on the machine spreads over all of them instead of one.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.environment import ROOT

PEERS = ROOT / "benchmarks" / "peers"

CONTEXT = """
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-4000-8000-00000000bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 10000
"""

# Storefront: the function layout of a Lambda container (/var/task = functions/, /opt/python = shared/).
FUNCTION = (
    """
import importlib, json, os, sys
sys.path[:0] = [FUNCTIONS, SHARED]
modules = [importlib.import_module(name) for name in MODULES]
"""
    + CONTEXT
    + """
result = modules[-1].handler(json.loads(os.environ["BENCH_EVENT"]), Context())
sys.stderr.write("BENCH_STATUS=%s\\n" % result["statusCode"])
"""
)

PEER = (
    """
import json, os, sys
sys.path[:0] = [PEER_DIR]
import handler
"""
    + CONTEXT
    + """
result = handler.handler(json.loads(os.environ["BENCH_EVENT"]), Context())
sys.stderr.write("BENCH_STATUS=%s\\n" % result["statusCode"])
"""
)

BARE = (
    """
import json, os, sys
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"success": True})}
"""
    + CONTEXT
    + """
result = handler(json.loads(os.environ["BENCH_EVENT"]), Context())
sys.stderr.write("BENCH_STATUS=%s\\n" % result["statusCode"])
"""
)


@dataclass
class Scenario:
    """One way to start cold: which interpreter, which script, which settings, which request."""

    name: str
    python: str
    script: str
    env: dict[str, str]
    event: Callable[[], dict[str, Any]]
    status: int
    group: str
    before: Callable[[], None] = lambda: None
    times: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    def run_once(self) -> None:
        self.before()
        env = {"PATH": os.environ.get("PATH", ""), **self.env, "BENCH_EVENT": json.dumps(self.event())}
        start = time.perf_counter()
        done = subprocess.run(
            [self.python, "-c", self.script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        elapsed = time.perf_counter() - start
        status = _status(done.stderr.decode(errors="replace"))
        if done.returncode != 0 or status != self.status:
            raise RuntimeError(f"{self.name}: expected {self.status}, got {status}\n{done.stderr.decode()[-2000:]}")
        self.times.append(elapsed)


def _status(stderr: str) -> int | None:
    for line in reversed(stderr.splitlines()):
        if line.startswith("BENCH_STATUS="):
            return int(line.split("=", 1)[1])
    return None


def function_script(*modules: str) -> str:
    """Import ``modules`` (the last one serves the request) the way the Lambda runtime would."""
    return (
        FUNCTION.replace("FUNCTIONS", repr(str(ROOT / "functions")))
        .replace("SHARED", repr(str(ROOT / "shared")))
        .replace("MODULES", repr(list(modules)))
    )


def peer_script(peer: str) -> str:
    """Import the peer's handler module from its folder and serve one request."""
    return PEER.replace("PEER_DIR", repr(str(PEERS / peer)))


def peer_python(peer: str) -> str:
    """The interpreter of the peer's own virtualenv (built by `make bench`)."""
    python = PEERS / peer / ".venv" / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"{python} is missing: run `make bench`, which builds the peers' virtualenvs")
    return str(python)


def bare_script() -> str:
    """A handler without Powertools or any dependency that answers 200."""
    return BARE


def storefront_python() -> str:
    """The interpreter with Storefront's pinned dependencies (.venv)."""
    return str(Path(sys.executable))


def measure(scenarios: list[Scenario], runs: int) -> list[Scenario]:
    """Run every scenario ``runs`` times, round-robin, after one untimed run each (disk caches warm)."""
    for scenario in scenarios:
        scenario.run_once()
        scenario.times.clear()
    for _ in range(runs):
        for scenario in scenarios:
            scenario.run_once()
    return scenarios
