"""Benchmarks, reported as ratios measured in one run (absolute numbers vary with the machine).

    make bench

1. Cold start: a fresh interpreter importing a product read function and serving one request, against a
   fresh interpreter that does nothing. The ratio shows what the function adds to Lambda's own start.
2. Warm reads: GET /products/{id} served from the cache (Redis stand-in) against served from SQLite.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT)]

COLD = """
import json, os, sys
sys.path[:0] = [os.path.join(ROOT, "functions"), os.path.join(ROOT, "shared"), ROOT]
from products import get_product
from localdev.runtime import LambdaContext
from storefront import bootstrap
from storefront.adapters.db.tables import metadata
metadata.create_all(bootstrap.engine())
event = json.load(open(os.path.join(ROOT, "events", "products", "get_product.json")))
get_product.handler(event, LambdaContext("bench"))
"""


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_start(runs: int = 7) -> dict[str, float]:
    env = {
        **os.environ,
        "GATEWAY_MODE": "apigw",
        "DATABASE_URL": "sqlite://",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    bare = median_seconds([sys.executable, "-c", "pass"], env, runs)
    function = median_seconds([sys.executable, "-c", COLD.replace("ROOT", repr(str(ROOT)))], env, runs)
    return {"bare_ms": bare * 1000, "function_ms": function * 1000, "ratio": function / bare}


def warm_reads(requests: int = 2000) -> dict[str, float]:
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/bench.db"
    os.environ.update(
        GATEWAY_MODE="apigw",
        DATABASE_URL=url,
        POWERTOOLS_METRICS_NAMESPACE="Bench",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="ERROR",
    )
    import fakeredis

    from localdev.runtime import LambdaContext, load_handler
    from localdev.stack import migrate, seed_demo_data
    from storefront import bootstrap
    from storefront.adapters.cache.redis_cache import NoCache, RedisCache
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork
    from storefront.application.ports import CatalogPorts

    migrate(url)
    bootstrap.reset()
    seed_demo_data()
    engine = bootstrap.engine()
    handler = load_handler("products.get_product.handler")
    event: dict[str, Any] = json.loads((ROOT / "events/products/get_product.json").read_text())

    def per_request(cache: Any) -> float:
        bootstrap.provide(
            catalog=CatalogPorts(unit_of_work=lambda: SqlUnitOfWork(engine), cache=cache, clock=SystemClock())
        )
        handler(event, LambdaContext("bench"))  # warm up (and fill the cache)
        start = time.perf_counter()
        for _ in range(requests):
            handler(event, LambdaContext("bench"))
        return (time.perf_counter() - start) / requests

    with contextlib.redirect_stdout(io.StringIO()):  # the handlers' metric lines
        database = per_request(NoCache())
        cached = per_request(RedisCache(fakeredis.FakeRedis()))
    return {"database_us": database * 1e6, "cache_us": cached * 1e6, "ratio": cached / database}


def main() -> None:
    cold = cold_start()
    warm = warm_reads()
    print("benchmark                         measured                          ratio")
    print(
        f"cold start GetProduct vs bare     {cold['function_ms']:7.0f} ms vs {cold['bare_ms']:5.0f} ms"
        f"              {cold['ratio']:6.1f}x"
    )
    print(
        f"warm GET cache hit vs database    {warm['cache_us']:7.0f} us vs {warm['database_us']:5.0f} us"
        f"              {warm['ratio']:6.2f}x"
    )


if __name__ == "__main__":
    main()
