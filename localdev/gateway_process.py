"""The local gateway in its own process, as `make run` starts it: for the end-to-end tests and `make fuzz`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from localdev.paths import ROOT
from localdev.redis_stand_in import free_port

START_TIMEOUT_SECONDS = 60
# What a developer's shell may carry that a fresh `make run` must not inherit.
CLEARED = ("REDIS_URL", "JWT_SECRETS", "GATEWAY_MODE")


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once the gateway accepts connections; raise if it exits or does not come up in time."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the gateway did not start in time")


@contextmanager
def running_gateway(
    mode: str, database_url: str, log: Path, environment: Mapping[str, str] | None = None
) -> Iterator[int]:
    """`python -m localdev.gateway --mode MODE` on a free port and ``database_url``; yields the port.

    ``environment`` adds variables (they apply to every function). Its output goes to ``log``; it is
    stopped (SIGTERM, as Ctrl-C would) when the block ends.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DATABASE_URL=database_url, PORT=str(port), GATEWAY_ACCESS_LOG="0")
    env.update(environment or {})  # may turn the access log back on (GATEWAY_ACCESS_LOG=1)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "localdev.gateway", "--mode", mode],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
