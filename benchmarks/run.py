"""`make bench`: cold starts and warm requests, as numbers and ratios measured in one run.

    make bench                 # about 5 minutes on 2 cores
    BENCH_QUICK=1 make bench   # fewer runs, for a quick look

1. Cold start per HTTP function in a fresh interpreter: GetProduct under production settings (Oracle URL
   from a secret served by the Parameters and Secrets Extension stand-in, Redis holding the product, so
   the first request is a cache hit) and every function's first request on PostgreSQL + Redis; against a
   bare handler, all functions loaded in one process, and two peers built from pinned requirements
   (benchmarks/peers/): a cookbook-style Powertools handler and a FastAPI + Mangum lambdalith.
2. Warm requests per route on PostgreSQL + Redis: SQL statements, round trips, p50/p99.
3. Product lists at 10k / 100k / 1M rows on PostgreSQL (benchmarks/lists.py).
4. The admin's orders list at 10k / 100k / 1M orders on PostgreSQL (benchmarks/admin_orders.py, its own table).
5. The operational endpoints: warm ready and metrics, ready against a silent database (benchmarks/operations.py).
6. The admin's stats, sales reports and analytics on 1M orders (100k quick) on PostgreSQL (benchmarks/reports.py).
7. A service batch of 1000 products (10 invalid) against 1000 single creates (benchmarks/services.py).
Results: benchmarks/results/report.md and PNG plots beside it, lists.md, admin_orders.md, reports.md and services.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import time
from typing import Any
from uuid import UUID

from benchmarks import admin_orders, cold, lists, operations, report, services, warm
from benchmarks import reports as figures
from benchmarks.environment import REDIS_URL, TENANT, Environment, environment
from benchmarks.events import FUNCTIONS, LOGIN, event, event_for, login_event, new_product_body

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
COLD_RUNS = 3 if QUICK else 9
WARM_REQUESTS = 50 if QUICK else 300
HIT_TTL_SECONDS = 3600


def seed(env: Environment) -> None:
    """A product in PostgreSQL and, under Storefront's and the peers' keys, in Redis."""
    from localdev.runtime import LambdaContext, load_handler
    from localdev.stack import seed_demo_accounts
    from storefront import bootstrap
    from storefront.application.products import cache_key

    os.environ.update(env.postgresql())
    bootstrap.reset()
    with contextlib.redirect_stdout(io.StringIO()):
        created = load_handler("products.create_product.handler")(
            event("create_product", body=new_product_body()), LambdaContext("seed")
        )
        data = json.loads(created["body"])["data"]
        load_handler("products.get_product.handler")(event("get_product", data["id"]), LambdaContext("seed"))
    key = cache_key(UUID(TENANT), UUID(data["id"]))
    cached = env.redis.get(key)
    assert cached is not None, "the product was not cached"
    env.product_id, env.product_sku = data["id"], data["sku"]
    env.extra["storefront_key"], env.extra["storefront_value"] = key, cached
    peer_value = {k: data[k] for k in ("id", "sku", "name", "price", "stock", "version")}
    env.extra["peer_key"], env.extra["peer_value"] = f"peer:products:{data['id']}", json.dumps(peer_value)
    seed_demo_accounts()  # the demo user the login scenarios sign in as (argon2id hashes, made once)
    bootstrap.engine().dispose()
    bootstrap.reset()


def scenarios(env: Environment) -> list[cold.Scenario]:
    """Every cold-start scenario of the report (groups: baseline, storefront, peer)."""
    python = cold.storefront_python()

    def cache_product() -> None:
        env.redis.set(env.extra["storefront_key"], env.extra["storefront_value"], ex=HIT_TTL_SECONDS)
        env.redis.set(env.extra["peer_key"], env.extra["peer_value"], ex=HIT_TTL_SECONDS)

    def uncache_product() -> None:
        env.redis.delete(env.extra["storefront_key"])

    def get_hit() -> dict[str, Any]:
        return event("get_product", env.product_id)

    everything = [*[m for m in FUNCTIONS if m != "products.get_product"], "products.get_product"]
    found: list[cold.Scenario] = [
        cold.Scenario("bare handler (no dependencies)", python, cold.bare_script(), {}, get_hit, 200, "baseline"),
        cold.Scenario(
            "GetProduct, cache hit, production settings",
            python,
            cold.function_script("products.get_product"),
            env.production(),
            get_hit,
            200,
            "storefront",
            before=cache_product,
        ),
        cold.Scenario(
            "all 6 functions in one process, GetProduct cache hit",
            python,
            cold.function_script(*everything),
            env.production(),
            get_hit,
            200,
            "storefront",
            before=cache_product,
        ),
        cold.Scenario(
            "peer: cookbook (Powertools + boto3 + pydantic + redis), cache hit",
            cold.peer_python("cookbook"),
            cold.peer_script("cookbook"),
            env.peers(),
            get_hit,
            200,
            "peer",
            before=cache_product,
        ),
        cold.Scenario(
            "peer: FastAPI + Mangum lambdalith, cache hit",
            cold.peer_python("lambdalith"),
            cold.peer_script("lambdalith"),
            env.peers(),
            get_hit,
            200,
            "peer",
            before=cache_product,
        ),
    ]
    for module, (name, status) in FUNCTIONS.items():
        target = _first_request_target(env, name)
        found.append(
            cold.Scenario(
                f"{_title(name)}, first request on PostgreSQL" + (" (cache miss)" if name == "get_product" else ""),
                python,
                cold.function_script(module),
                env.postgresql(),
                target,
                status,
                "storefront-postgresql",
                before=uncache_product,
            )
        )
    found.append(
        cold.Scenario(
            "Login, first request on PostgreSQL (argon2id verify)",
            python,
            cold.function_script(LOGIN),
            env.postgresql(),
            login_event,
            200,
            "storefront-postgresql",
        )
    )
    return found


def password_costs(env: Environment, runs: int) -> dict[str, float]:
    """Median milliseconds of one argon2id hash and one verify at the parameters login uses (OWASP's
    minimum: m = 19 MiB, t = 2, p = 1), and of a whole warm login on PostgreSQL (the verify included)."""
    from localdev.runtime import LambdaContext, load_handler
    from storefront import bootstrap
    from storefront.adapters.passwords import Argon2Hasher

    os.environ.update(env.postgresql())
    bootstrap.reset()
    hasher = Argon2Hasher()
    encoded = hasher.hash("storefront-demo-user")

    def median_ms(call: Any) -> float:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        return statistics.median(timings) * 1000

    handler = load_handler(f"{LOGIN}.handler")
    with contextlib.redirect_stdout(io.StringIO()):
        assert handler(login_event(), LambdaContext("bench"))["statusCode"] == 200
        login_ms = median_ms(lambda: handler(login_event(), LambdaContext("bench")))
    return {
        "argon2id hash": median_ms(lambda: hasher.hash("storefront-demo-user")),
        "argon2id verify": median_ms(lambda: hasher.verify(encoded, "storefront-demo-user")),
        "warm login on PostgreSQL (verify, refresh session, audit row, token)": login_ms,
    }


def _first_request_target(env: Environment, name: str) -> Any:
    def build() -> dict[str, Any]:
        module = f"products.{name}"
        if name in ("delete_product", "update_product", "replace_product"):
            return event_for(module, _fresh_product(env))
        return event_for(module, env.product_id)

    return build


def _fresh_product(env: Environment) -> str:
    from localdev.runtime import LambdaContext, load_handler

    with contextlib.redirect_stdout(io.StringIO()):
        created = load_handler("products.create_product.handler")(
            event("create_product", body=new_product_body()), LambdaContext("seed")
        )
    product_id: str = json.loads(created["body"])["data"]["id"]
    return product_id


def _title(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def run_lists_benchmark() -> str:
    """The 10k / 100k / 1M lists table (benchmarks/lists.py also writes it to lists.md)."""
    return lists.table(lists.main(runs=5 if QUICK else 31), lists.SIZES)


def main() -> None:
    """Run every benchmark and write benchmarks/results/."""
    print(f"bench: {'quick' if QUICK else 'full'} mode, {COLD_RUNS} cold runs per scenario", flush=True)
    with environment() as env:
        seed(env)
        measured = cold.measure(scenarios(env), COLD_RUNS)
        print("bench: cold starts measured", flush=True)
        routes = warm.warm_routes(env, WARM_REQUESTS)
        print("bench: warm routes measured", flush=True)
        passwords = password_costs(env, 5 if QUICK else 21)
        print("bench: password costs measured", flush=True)
    services_table = services.main(rounds=1 if QUICK else 5)
    print("bench: service batch measured", flush=True)
    lists_table = run_lists_benchmark()
    admin_orders.main()  # writes benchmarks/results/admin_orders.md
    operations_table = operations.table(operations.main(runs=50 if QUICK else 200))
    print("bench: operational endpoints measured", flush=True)
    reports_table = figures.main()
    written = report.write(
        measured,
        routes,
        quick=QUICK,
        lists_table=lists_table,
        redis_url=REDIS_URL,
        passwords=passwords,
        operations_table=operations_table,
        reports_table=reports_table,
    )
    print(written.read_text())
    print(services_table)


if __name__ == "__main__":
    main()
