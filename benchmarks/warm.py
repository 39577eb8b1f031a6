"""Warm requests per route on PostgreSQL + Redis: statements, round trips (counted at the wire), p50/p99.

The real handlers run in this process, as in a warm Lambda container; PostgreSQL and Redis are reached
through counting proxies (localdev.wire), so every number of round trips is exact. The rate limiter gets
a Redis client of its own behind a proxy of its own, so its round trips are counted apart from the
cache's and the totals'.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from redis import Redis
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

from benchmarks.environment import POSTGRES_URL, REDIS_URL, TENANT, Environment
from benchmarks.events import event, new_product_body
from localdev.runtime import LambdaContext, load_handler
from localdev.wire import CountingProxy
from storefront.application.products import cache_key


@dataclass
class RouteResult:
    """One route, warm: what one request costs."""

    route: str
    statements: list[str]
    db_round_trips: int
    redis_round_trips: int  # all of them, the rate limiter's included
    rate_limit_round_trips: int  # the rate limiter's check (limits and revocations) alone
    p50_ms: float
    p99_ms: float
    requests: int


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def warm_routes(env: Environment, requests: int) -> list[RouteResult]:
    """Every route, ``requests`` times each, after one warm-up request."""
    postgres, redis = make_url(POSTGRES_URL), make_url(REDIS_URL)
    with (
        CountingProxy(postgres.host or "127.0.0.1", postgres.port or 5432) as db,
        CountingProxy(redis.host or "127.0.0.1", redis.port or 6379) as cache,
        CountingProxy(redis.host or "127.0.0.1", redis.port or 6379) as limiter,
        contextlib.redirect_stdout(io.StringIO()),  # the handlers' metric and log lines
    ):
        os.environ.update(env.postgresql())
        os.environ["DATABASE_URL"] = postgres.set(port=db.port).render_as_string(hide_password=False)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{cache.port}/{redis.database or 0}"
        from storefront import bootstrap
        from storefront.adapters.cache.rate_limiter import RedisRateLimiter

        limiter_client = Redis(port=limiter.port, db=int(redis.database or 0), protocol=2)
        bootstrap.provide(rate_limiter=RedisRateLimiter(limiter_client))
        statements: list[str] = []
        routes = _routes(env)
        sa_event.listen(bootstrap.engine(), "before_cursor_execute", lambda *a: statements.append(a[2]))
        results = []
        for route, (handler_name, prepare, status) in routes.items():
            handler = load_handler(f"products.{handler_name}.handler")
            _call(handler, prepare(), status)  # warm-up: connections open, code paths loaded
            timings: list[float] = []
            counted_statements: list[str] = []
            db_trips = redis_trips = limiter_trips = 0
            for index in range(requests):
                evt = prepare()
                statements.clear()
                with db.counting() as db_count, cache.counting() as cache_count, limiter.counting() as checks:
                    start = time.perf_counter()
                    _call(handler, evt, status)
                    timings.append(time.perf_counter() - start)
                if index == 0:
                    counted_statements = [s.split()[0].upper() for s in statements]
                    db_trips, limiter_trips = db_count.flights, checks.flights
                    redis_trips = cache_count.flights + checks.flights
            results.append(
                RouteResult(
                    route,
                    counted_statements,
                    db_trips,
                    redis_trips,
                    limiter_trips,
                    percentile(timings, 0.50) * 1000,
                    percentile(timings, 0.99) * 1000,
                    requests,
                )
            )
        bootstrap.engine().dispose()
        bootstrap.reset()
    return results


def _call(handler: Callable[..., dict[str, Any]], evt: dict[str, Any], status: int) -> dict[str, Any]:
    result = handler(evt, LambdaContext("bench"))
    if result["statusCode"] != status:
        raise RuntimeError(f"expected {status}, got {result['statusCode']}: {result.get('body')}")
    return result


def _create() -> str:
    handler = load_handler("products.create_product.handler")
    body = json.loads(_call(handler, event("create_product", body=new_product_body()), 201)["body"])
    product_id: str = body["data"]["id"]
    return product_id


def _routes(env: Environment) -> dict[str, tuple[str, Callable[[], dict[str, Any]], int]]:
    """Route label -> (function, a new request to it, expected status)."""
    hit_id = _create()

    def miss() -> dict[str, Any]:
        env.redis.delete(cache_key(UUID(TENANT), UUID(hit_id)))
        return event("get_product", hit_id)

    return {
        "GET /products/{id} (cache hit)": ("get_product", lambda: event("get_product", hit_id), 200),
        "GET /products/{id} (cache miss)": ("get_product", miss, 200),
        "GET /products": ("list_products", lambda: event("list_products"), 200),
        "POST /products": ("create_product", lambda: event("create_product", body=new_product_body()), 201),
        "PATCH /products/{id}": ("update_product", lambda: event("update_product", hit_id, body={"stock": 7}), 200),
        "PUT /products/{id}": (
            "replace_product",
            lambda: event("replace_product", hit_id, body=new_product_body()),
            200,
        ),
        "DELETE /products/{id}": ("delete_product", lambda: event("delete_product", _create()), 204),
    }
