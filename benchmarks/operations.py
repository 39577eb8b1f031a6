"""The operational endpoints' cost (`make bench`, or alone: python -m benchmarks.operations).

Warm latency of /api/v1/ready and /api/v1/metrics on PostgreSQL + Redis (the queue source left out: no SQS
here), the time /api/v1/ready takes when the database accepts connections and never answers (it should be the
deadline, not the function's timeout), and the local gateway's SigV4 check per request.
"""

from __future__ import annotations

import os
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.environment import POSTGRES_URL, REDIS_URL

DEADLINE_SECONDS = 0.5
QUICK = os.environ.get("BENCH_QUICK") == "1"


def database() -> str:
    """A database of this measurement's own beside the benchmark's (created and migrated when missing): the
    readiness probe only needs it to answer, and another branch's migrations in the shared one do not matter."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from localdev.stack import migrate

    url = make_url(POSTGRES_URL)
    url = url.set(database=f"{url.database}_operations")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if (
            connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
            is None
        ):
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    migrate(rendered)
    return rendered


@contextmanager
def _settings(**variables: str) -> Iterator[None]:
    from storefront import bootstrap

    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    bootstrap.reset()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        bootstrap.reset()


def _timings(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm: the connection pool and the clients are built once per container
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return took


def _row(name: str, took: list[float]) -> tuple[str, float, float]:
    ordered = sorted(took)
    return name, statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main(runs: int = 200) -> list[tuple[str, float, float]]:
    """(what, p50 ms, p99 ms) per measurement."""
    from localdev.events import HttpRequest
    from localdev.paths import use_lambda_paths
    from localdev.runtime import LambdaContext, load_handler
    from localdev.sigv4 import sign, verify

    use_lambda_paths()
    from tests.unit.handlers import event

    database_url = database()
    rows = []
    common = {"GATEWAY_MODE": "apigw", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "CRITICAL"}
    with _settings(**common, DATABASE_URL=database_url, REDIS_URL=REDIS_URL):
        ready = load_handler("operations.ready.handler")
        metrics = load_handler("operations.metrics.handler")
        ready_event, metrics_event = event("operations/ready.json"), event("operations/metrics.json")
        rows.append(_row("/api/v1/ready, warm", _timings(lambda: ready(ready_event, LambdaContext("b")), runs)))
        rows.append(_row("/api/v1/metrics, warm", _timings(lambda: metrics(metrics_event, LambdaContext("b")), runs)))
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    port = silent.getsockname()[1]
    try:
        hanging = {"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/x", "REDIS_URL": REDIS_URL}
        with _settings(**common, **hanging, READY_DEADLINE_SECONDS=str(DEADLINE_SECONDS)):
            ready = load_handler("operations.ready.handler")
            took = _timings(lambda: ready(event("operations/ready.json"), LambdaContext("b")), max(5, runs // 20))
            rows.append(_row(f"/api/v1/ready, database silent (deadline {DEADLINE_SECONDS} s)", took))
    finally:
        silent.close()
    headers = sign("GET", "http://127.0.0.1:3000/api/v1/metrics")
    request = HttpRequest("GET", "/api/v1/metrics", "", [("Host", "127.0.0.1:3000"), *headers.items()], b"")
    rows.append(_row("local gateway SigV4 check", _timings(lambda: verify(request), runs)))
    return rows


def table(rows: list[tuple[str, float, float]]) -> str:
    """The rows as a Markdown table."""
    lines = ["| measurement | p50 ms | p99 ms |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {p50:.2f} | {p99:.2f} |" for name, p50, p99 in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(main(runs=50 if QUICK else 200)))
