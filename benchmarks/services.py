"""A batch of 1000 products against 1000 single creates, on PostgreSQL + Redis, measured in one run.

    python -m benchmarks.services       (or measure() from benchmarks/run.py)

Both go through the warm handlers as a request would (API Gateway events): 1000 POST /products (an admin's, each
its own transaction: insert, search terms, commit), then POST services/products/batch with the same 1000
products, 10 of them invalid (as the acceptance test sends). Rounds alternate single and batch so the machine's
slow spells fall on both; each figure is the median of the rounds, and the ratio is of the medians. The table goes
to stdout and to benchmarks/results/services.md.
"""

from __future__ import annotations

import contextlib
import copy
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
ITEMS = 1000
INVALID_EVERY = 100  # 10 invalid items in 1000
TARGET_RATIO = 20


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


def measure(rounds: int) -> dict[str, float]:
    """Median seconds of 1000 single creates and of one batch of 1000 (10 invalid), and their ratio; the settings
    (DATABASE_URL, REDIS_URL, ...) must already be in the environment."""
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
    singles: list[float] = []
    batches: list[float] = []
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(rounds):
            run = uuid.uuid4().hex[:10]
            bodies = [
                json.dumps({**_item(n, run), "price": {"amount": "4.20", "currency": "EUR"}}) for n in range(ITEMS)
            ]
            started = time.perf_counter()
            for body in bodies:
                result = create({**copy.deepcopy(single_event), "body": body}, LambdaContext("bench"))
                assert result["statusCode"] == 201, result["body"]
            singles.append(time.perf_counter() - started)
            run = uuid.uuid4().hex[:10]
            request = {
                **copy.deepcopy(batch_event),
                "body": json.dumps({"items": [_item(n, run) for n in range(ITEMS)]}),
            }
            started = time.perf_counter()
            result = batch(request, LambdaContext("bench"))
            batches.append(time.perf_counter() - started)
            statuses = [r["status"] for r in json.loads(result["body"])["data"]["results"]]
            assert statuses.count("created") == ITEMS - ITEMS // INVALID_EVERY, statuses
    bootstrap.engine().dispose()
    bootstrap.reset()
    single, batched = statistics.median(singles), statistics.median(batches)
    return {"single": single, "batch": batched, "ratio": single / batched}


def table(measured: dict[str, float], rounds: int) -> str:
    """The markdown report of one measurement."""
    verdict = "meets" if measured["ratio"] >= TARGET_RATIO else "MISSES"
    return (
        "| what (PostgreSQL + Redis, warm handlers) | median of "
        f"{rounds} rounds |\n|---|---:|\n"
        f"| {ITEMS} single POST /products | {measured['single'] * 1000:.0f} ms |\n"
        f"| one POST services/products/batch of {ITEMS} ({ITEMS // INVALID_EVERY} invalid) | "
        f"{measured['batch'] * 1000:.0f} ms |\n"
        f"| ratio | **{measured['ratio']:.1f}x** ({verdict} the {TARGET_RATIO}x target) |\n"
    )


def main(rounds: int = 5) -> str:
    """Measure (the benchmark database and Redis from benchmarks/environment.py) and write services.md."""
    from benchmarks.environment import POSTGRES_URL, REDIS_URL, _local_secrets, ensure_database

    ensure_database()
    os.environ.update(
        GATEWAY_MODE="apigw",
        DATABASE_URL=POSTGRES_URL,
        REDIS_URL=REDIS_URL,
        JWT_SECRETS=_local_secrets(),
        RATE_LIMITS="100000/minute,1000000/hour,10000000/day",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    report = table(measure(rounds), rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("# Service batch: 1000 products in one request against 1000 requests\n\n" + report)
    print(report)
    return report


if __name__ == "__main__":
    main(rounds=int(os.environ.get("BENCH_SERVICE_ROUNDS", "3")))
