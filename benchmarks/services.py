"""A batch of 1000 products against 1000 single creates, on PostgreSQL + Redis, measured in one run.

    python -m benchmarks.services       (or measure() from benchmarks/run.py)

Both go through the warm handlers as a request would (API Gateway events): 1000 POST /products (an admin's, each
its own transaction: insert, search terms, commit), then POST services/products/batch with the same 1000
products, 10 of them invalid (as the acceptance test sends). Slices alternate which side goes first so the
machine's slow spells fall on both; each figure is the median of the rounds (a round's batch figure the median of
the SLICES batches timed between its slices of singles), and the ratio is of the medians (``measure`` says what
else keeps it fair). The table goes
to stdout and to benchmarks/results/services.md.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import io
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

RESULTS = ROOT / "benchmarks" / "results" / "services.md"
# A database of its own, created empty at the start of every run and dropped at its end: runs start alike and
# none inherits the rows (and bloated indexes) of the ones before.
DATABASE = os.environ.get(
    "BENCH_SERVICES_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/storefront_services_bench"
)
ITEMS = 1000
INVALID_EVERY = 100  # 10 invalid items in 1000
TARGET_RATIO = 20
SLICES = 10  # a round: 10 slices of 100 single creates, one batch of 1000 beside each
WARM_UP = 50  # single creates before the rounds (the batch: one)


def _item(n: int, run: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sku": f"SVC-{run}-{n}",
        "name": f"Service bench item {n}",
        "price": {"amount": "4.20", "currency": "EUR"},
        "stock": n,
    }
    if n % INVALID_EVERY == 7:
        item["price"] = {"amount": "0", "currency": "EUR"}
    return item


def _events() -> tuple[dict[str, Any], dict[str, Any]]:
    from tests.unit.handlers import event

    return event("products/create_product.json"), event("services/batch_products.json")


def measure(rounds: int) -> dict[str, Any]:
    """Median seconds of 1000 single creates and of one batch of 1000 (10 invalid), their ratio, and the ratio of
    each round; the settings (DATABASE_URL, REDIS_URL, ...) must already be in the environment.

    Fair to both sides: the same process, warm handlers, a warm-up of each not counted, every request's event built
    before its clock starts, the garbage collector emptied before each timed part. A round interleaves the two
    finely: its 1000 single creates run in SLICES slices with one batch of 1000 beside each slice (the side that
    goes first alternates), so both sides are timed in the same stretch of the machine's load; the round's single
    figure is the slices' sum, its batch figure the median of its SLICES batches. One batch lasts a twentieth of
    the singles: timed once, a slow spell of a busy machine on it decided the whole ratio."""
    from tests.unit.handlers import set_header

    from localdev.runtime import LambdaContext, load_handler
    from storefront import bootstrap
    from storefront.application.service_keys import issue_service_key

    bootstrap.reset()
    single_event, batch_event = _events()
    tenant = uuid.UUID(single_event["requestContext"]["authorizer"]["tenant_id"])
    key = issue_service_key(bootstrap.service_key_ports(), tenant, "demo-service", "bench").key
    set_header(batch_event, "X-API-Key", key)
    create = load_handler("products.create_product.handler")
    batch = load_handler("services.batch_products.handler")

    def singles_events(count: int) -> list[dict[str, Any]]:
        run = uuid.uuid4().hex[:10]
        valid = ({**_item(n, run), "price": {"amount": "4.20", "currency": "EUR"}} for n in range(count))
        return [{**copy.deepcopy(single_event), "body": json.dumps(item)} for item in valid]

    def time_singles(events: list[dict[str, Any]]) -> float:
        gc.collect()
        started = time.perf_counter()
        for evt in events:
            result = create(evt, LambdaContext("bench"))
            assert result["statusCode"] == 201, result["body"]
        return time.perf_counter() - started

    def time_batch() -> float:
        run = uuid.uuid4().hex[:10]
        request = {**copy.deepcopy(batch_event), "body": json.dumps({"items": [_item(n, run) for n in range(ITEMS)]})}
        gc.collect()
        started = time.perf_counter()
        result = batch(request, LambdaContext("bench"))
        elapsed = time.perf_counter() - started
        statuses = [r["status"] for r in json.loads(result["body"])["data"]["results"]]
        assert statuses.count("created") == ITEMS - ITEMS // INVALID_EVERY, statuses
        return elapsed

    singles: list[float] = []
    batches: list[float] = []
    load_before = os.getloadavg()[0]
    with contextlib.redirect_stdout(io.StringIO()):
        time_singles(singles_events(WARM_UP))
        time_batch()
        for round_number in range(rounds):
            events = singles_events(ITEMS)
            step = ITEMS // SLICES
            single_time, batch_times = 0.0, []
            for index, start in enumerate(range(0, ITEMS, step)):
                if (round_number + index) % 2:  # ABBA: each side goes first in half of the slices
                    batch_times.append(time_batch())
                    single_time += time_singles(events[start : start + step])
                else:
                    single_time += time_singles(events[start : start + step])
                    batch_times.append(time_batch())
            singles.append(single_time)
            batches.append(statistics.median(batch_times))
    bootstrap.engine().dispose()
    bootstrap.reset()
    single, batched = statistics.median(singles), statistics.median(batches)
    per_round = sorted(s / b for s, b in zip(singles, batches, strict=True))
    load = (load_before, os.getloadavg()[0])
    return {"single": single, "batch": batched, "ratio": single / batched, "rounds": per_round, "load": load}


def table(measured: dict[str, Any], rounds: int) -> str:
    """The markdown report of one measurement."""
    verdict = "meets" if measured["ratio"] >= TARGET_RATIO else "MISSES"
    return (
        "| what (PostgreSQL + Redis, warm handlers) | median of "
        f"{rounds} rounds |\n|---|---:|\n"
        f"| {ITEMS} single POST /products | {measured['single'] * 1000:.0f} ms |\n"
        f"| one POST services/products/batch of {ITEMS} ({ITEMS // INVALID_EVERY} invalid) | "
        f"{measured['batch'] * 1000:.0f} ms |\n"
        f"| ratio | **{measured['ratio']:.1f}x** ({verdict} the {TARGET_RATIO}x target) |\n"
        f"| each round's ratio, lowest to highest | {' / '.join(f'{r:.1f}x' for r in measured['rounds'])} |\n"
        + _load_row(measured.get("load"))
    )


def _load_row(load: tuple[float, float] | None) -> str:
    """How busy the machine was (the ratio depends on it): the 1-minute load average at the start and the end."""
    if load is None:
        return ""
    what = f"machine load (1-minute load average, start / end; {os.cpu_count()} CPUs)"
    return f"| {what} | {load[0]:.1f} / {load[1]:.1f} |\n"


def main(rounds: int = 5) -> str:
    """Measure (on a private database made afresh and dropped at the end, Redis from benchmarks/environment.py)
    and write services.md."""
    from benchmarks.environment import REDIS_URL, _local_secrets
    from benchmarks.lists import private_database

    os.environ.update(
        GATEWAY_MODE="apigw",
        DATABASE_URL=DATABASE,
        REDIS_URL=REDIS_URL,
        JWT_SECRETS=_local_secrets(),
        RATE_LIMITS="100000/minute,1000000/hour,10000000/day",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    with private_database(DATABASE):
        report = table(measure(rounds), rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("# Service batch: 1000 products in one request against 1000 requests\n\n" + report)
    print(report)
    return report


if __name__ == "__main__":
    main(rounds=int(os.environ.get("BENCH_SERVICE_ROUNDS", "3")))
