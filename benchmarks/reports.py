"""The admin's stats, sales reports and analytics on 1M orders in PostgreSQL (BENCH_QUICK=1: 100k).

    python -m benchmarks.reports        # also part of `make bench`

One tenant's orders (with their lines and events), users and products are generated in PostgreSQL itself
(generate_series: one INSERT ... SELECT per 250,000 orders, lines and events included, the order tables'
secondary indexes built after the load), spread over the 365 days ending now. Each figure is then
timed through its warm handler (an API Gateway event, as a client waits for it): computed (the tenant's cached
figures deleted, untimed, before each call) and from the Redis cache; and every statement of the figures is
EXPLAINed to name any table read by a sequential scan. Results: benchmarks/results/reports.md.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from sqlalchemy import Connection, Engine, text  # noqa: E402

from benchmarks.lists import fresh_database, load_products, load_users, plan_of, sequential_scans  # noqa: E402
from benchmarks.report import machine  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
BENCH_URL = os.environ.get(
    "STOREFRONT_BENCH_REPORTS_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/storefront_reports_bench"
)
TENANT = UUID("0b0b0b0b-0000-4000-8000-00000000f1a7")
ORDERS = 100_000 if QUICK else 1_000_000
RUNS = 5 if QUICK else 21
DAYS = 365
RESULTS = ROOT / "benchmarks" / "results" / "reports.md"
TABLES = ("ORDERS", "ORDER_ITEMS", "ORDER_EVENTS", "USERS", "PRODUCTS")

# Order i: placed (i * 7919) mod 365 days before :end; status drawn from (i * 31) mod 100 (5% PENDING, 5% RESERVED,
# 30% CONFIRMED, 20% SHIPPED, 25% DELIVERED, 7% FAILED, 8% CANCELLED, half of those after CONFIRMED); one or two
# lines; EUR, USD or GBP; one order in 200 soft-deleted; its buyer one of :users, its products among :products.
LOAD_ORDERS = """
WITH generated AS (
  SELECT i,
         CAST(:end AS timestamptz) - ((i * 7919) % (CAST(:days AS bigint) * 86400)) * INTERVAL '1 second' AS at,
         (i * 31) % 100 AS draw, 1 + i % 2 AS lines,
         (i * 7) % :products AS p1, (i * 7 + 13) % :products AS p2,
         1 + i % 3 AS q1, 1 + (i / 3) % 3 AS q2,
         (500 + (i * 37) % 9500) / 100.0 AS u1, (500 + (i * 53) % 9500) / 100.0 AS u2,
         (ARRAY['EUR', 'USD', 'GBP'])[1 + (i / 7) % 3] AS currency,
         md5('order' || CAST(:tenant AS text) || i)::uuid AS id
  FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS s(i)
), shaped AS (
  SELECT g.*,
         CASE WHEN draw < 5 THEN 'PENDING' WHEN draw < 10 THEN 'RESERVED' WHEN draw < 40 THEN 'CONFIRMED'
              WHEN draw < 60 THEN 'SHIPPED' WHEN draw < 85 THEN 'DELIVERED' WHEN draw < 92 THEN 'FAILED'
              ELSE 'CANCELLED' END AS status
  FROM generated g
), orders AS (
  INSERT INTO "ORDERS" ("ID", "TENANT_ID", "CREATED_AT", "UPDATED_AT", "CREATED_BY", "UPDATED_BY", "DELETED_AT",
                        "VERSION", "USER_ID", "STATUS", "PAYMENT_STATUS", "TOTAL_AMOUNT", "CURRENCY",
                        "SHIPPING_LINE1", "SHIPPING_LINE2", "SHIPPING_CITY", "SHIPPING_POSTAL_CODE",
                        "SHIPPING_COUNTRY", "NOTES", "PAYMENT_TOKEN", "EVENT_SEQUENCE")
  SELECT id, CAST(:tenant AS uuid), at, at, 'bench', 'bench', CASE WHEN i % 200 = 0 THEN at END, 1,
         md5('user' || CAST(:tenant AS text) || ((i * 13) % :users))::uuid, status,
         CASE status WHEN 'FAILED' THEN 'declined' WHEN 'CANCELLED' THEN 'refunded' WHEN 'PENDING' THEN 'pending'
                     WHEN 'RESERVED' THEN 'pending' ELSE 'captured' END,
         u1 * q1 + CASE WHEN lines = 2 THEN u2 * q2 ELSE 0 END, currency,
         '1 Bench Road', NULL, 'Benchville', '1000', 'BE', NULL, 'tok_approve', 1
  FROM shaped
), items AS (
  INSERT INTO "ORDER_ITEMS" ("ORDER_ID", "LINE_NUMBER", "TENANT_ID", "PRODUCT_ID", "SKU", "NAME", "QUANTITY",
                             "UNIT_PRICE", "LINE_TOTAL", "CURRENCY")
  SELECT id, 1, CAST(:tenant AS uuid), md5(CAST(:tenant AS text) || p1)::uuid, 'SKU-' || lpad(p1::text, 9, '0'),
         'bench item', q1, u1, u1 * q1, currency FROM shaped
  UNION ALL
  SELECT id, 2, CAST(:tenant AS uuid), md5(CAST(:tenant AS text) || p2)::uuid, 'SKU-' || lpad(p2::text, 9, '0'),
         'bench item', q2, u2, u2 * q2, currency FROM shaped WHERE lines = 2
)
INSERT INTO "ORDER_EVENTS" ("ID", "ORDER_ID", "SEQUENCE", "TENANT_ID", "KIND", "FROM_STATUS", "TO_STATUS",
                            "PAYMENT_STATUS", "OCCURRED_AT", "ACTOR", "DETAIL")
SELECT md5('placed' || id::text)::uuid, id, 1, CAST(:tenant AS uuid), 'placed', NULL, 'PENDING', NULL, at, 'bench', NULL
FROM shaped
UNION ALL
SELECT md5('confirmed' || id::text)::uuid, id, 2, CAST(:tenant AS uuid), 'confirmed', 'RESERVED', 'CONFIRMED', NULL,
       at, 'bench', NULL
FROM shaped WHERE status IN ('CONFIRMED', 'SHIPPED', 'DELIVERED') OR (status = 'CANCELLED' AND i % 2 = 0)
"""


def load_orders(connection: Connection, tenant: UUID, start: int, stop: int, *, users: int, products: int) -> None:
    """Orders number start..stop-1 of ``tenant`` with their lines and events, in one statement (LOAD_ORDERS)."""
    parameters = {
        "tenant": str(tenant),
        "start": start,
        "stop": stop,
        "end": datetime.now(UTC),
        "days": DAYS,
        "users": users,
        "products": products,
    }
    connection.execute(text(LOAD_ORDERS), parameters)


def load(engine: Engine, tenant: UUID, orders: int) -> float:
    """The tenant's users (one per 20 orders), products (10,000, or one per 10 orders) and orders; seconds taken.

    The order tables' secondary indexes are dropped for the load and built again after it (one sort each instead
    of a million insertions), and their foreign keys are not checked row by row (the generated rows name only
    orders and products of the same load): a fresh benchmark database is the only one this runs on."""
    from storefront.adapters.db.tables import ORDER_EVENTS, ORDER_ITEMS
    from storefront.adapters.db.tables import ORDERS as ORDER_TABLE

    users, products = max(orders // 20, 1), min(10_000, max(orders // 10, 1))
    secondary = [index for table in (ORDER_TABLE, ORDER_ITEMS, ORDER_EVENTS) for index in table.indexes]
    started = time.perf_counter()
    with engine.begin() as connection:
        load_users(connection, tenant, 0, users)
        load_products(connection, tenant, 0, products)
        for index in secondary:
            index.drop(connection)
    for start in range(0, orders, 250_000):  # batches keep each statement's memory bounded
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no per-row FK triggers
            load_orders(connection, tenant, start, min(start + 250_000, orders), users=users, products=products)
    with engine.begin() as connection:
        for index in secondary:
            index.create(connection)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:
            connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
        connection.exec_driver_sql("CHECKPOINT")
    return time.perf_counter() - started


@dataclass(frozen=True)
class Case:
    """One figure as a client asks for it: the function, its query string, its Accept header."""

    label: str
    handler: str
    sample: str
    params: dict[str, str]
    accept: str = "application/json"


def cases(today: datetime) -> list[Case]:
    """The figures timed: stats, sales by day and by product (CSV) over 30 and 366 days, analytics by day and
    by month."""
    month_ago = (today - timedelta(days=29)).date().isoformat()
    year_ago = (today - timedelta(days=365)).date().isoformat()
    last = today.date().isoformat()
    return [
        Case("stats", "admin.get_stats.handler", "admin/get_stats.json", {}),
        Case("sales by day, 30 days", "admin.get_reports.handler", "admin/get_reports.json", {"by": "day"}),
        Case(
            "sales by day, 366 days",
            "admin.get_reports.handler",
            "admin/get_reports.json",
            {"by": "day", "date_from": year_ago, "date_to": last},
        ),
        Case(
            "sales by product, 30 days, CSV",
            "admin.get_reports.handler",
            "admin/get_reports.json",
            {"by": "product", "limit": "100", "date_from": month_ago, "date_to": last},
            accept="text/csv",
        ),
        Case(
            "analytics, 30 days by day",
            "admin.get_analytics.handler",
            "admin/get_analytics.json",
            {"granularity": "day", "date_from": month_ago, "date_to": last},
        ),
        Case(
            "analytics, 366 days by month",
            "admin.get_analytics.handler",
            "admin/get_analytics.json",
            {"granularity": "month", "date_from": year_ago, "date_to": last},
        ),
    ]


def event_of(case: Case, tenant: UUID) -> dict[str, Any]:
    """The sample event of the case's function, with its parameters, Accept header and tenant."""
    evt: dict[str, Any] = json.loads((ROOT / "events" / case.sample).read_text())
    evt["queryStringParameters"] = dict(case.params) or None
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in case.params.items()} or None
    evt["headers"]["Accept"] = case.accept
    evt["multiValueHeaders"]["Accept"] = [case.accept]
    evt["requestContext"]["authorizer"]["tenant_id"] = str(tenant)
    return evt


@dataclass
class Timing:
    """Milliseconds of one case's warm handler: computed (cache emptied before each call) and cached."""

    computed: list[float]
    cached: list[float]

    def row(self, label: str) -> str:
        def p(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

        computed, cached = self.computed, self.cached
        cells = [label, statistics.median(computed), p(computed, 0.95), max(computed), statistics.median(cached)]
        return "| " + " | ".join(c if isinstance(c, str) else f"{c:.1f}" for c in cells) + " |"


def time_case(case: Case, tenant: UUID, runs: int) -> Timing:
    """The case's handler called ``runs`` times computing its figures and ``runs`` times from the cache."""
    from localdev.runtime import LambdaContext, load_handler
    from storefront import bootstrap

    handler = load_handler(case.handler)
    evt = event_of(case, tenant)
    redis = bootstrap._redis_client()
    assert redis is not None

    def call() -> float:
        started = time.perf_counter()
        answer = handler(evt, LambdaContext("bench-reports"))
        elapsed = (time.perf_counter() - started) * 1000
        if answer["statusCode"] != 200:
            raise RuntimeError(f"{case.label}: {answer['statusCode']} {answer.get('body')}")
        return elapsed

    def forget() -> None:
        for key in redis.scan_iter(match=f"reports:{tenant}:*"):
            redis.delete(key)

    computed, cached = [], []
    gc.collect()
    gc.disable()
    try:
        for run in range(runs + 1):
            forget()
            took = call()
            if run:  # the first call warms the pool
                computed.append(took)
            cached.append(call())
    finally:
        gc.enable()
    return Timing(computed, cached[1:])


def scanned_tables(engine: Engine, tenant: UUID, today: datetime) -> dict[str, list[str]]:
    """Every figure statement over the last 30 days, on the loaded data, and the tables its plan reads sequentially
    (none expected: over a whole year a hash join may rightly read every order line)."""
    from storefront.adapters.db import reports
    from storefront.domain.reports import DateRange, Granularity, RevenueWindows

    now = today
    month = DateRange((now - timedelta(days=29)).date(), now.date())
    statements = {
        "users by status and role": reports.user_counts_statement(tenant),
        "orders by status": reports.order_counts_statement(tenant),
        "revenue windows": reports.revenue_statement(tenant, RevenueWindows.at(now), now),
        "low stock": reports.low_stock_statement(tenant, 10, 50),
        "sales by day": reports.sales_statement(tenant, month, Granularity.DAY),
        "order flow by week": reports.order_flow_statement(tenant, month, Granularity.WEEK),
        "top products": reports.top_products_statement(tenant, month, 10),
        "top customers": reports.top_customers_statement(tenant, month, 10),
    }
    with engine.connect() as connection:
        return {label: sequential_scans(plan_of(connection, s)) for label, s in statements.items()}


def main(orders: int = ORDERS, runs: int = RUNS) -> str:
    """Load, time and EXPLAIN; write benchmarks/results/reports.md and return its table."""
    from benchmarks.lists import handler_environment
    from storefront import bootstrap

    engine = fresh_database(BENCH_URL)
    os.environ.update({**handler_environment(), "DATABASE_URL": BENCH_URL, "POWERTOOLS_SERVICE_NAME": "admin"})
    bootstrap.reset()
    try:
        seconds = load(engine, TENANT, orders)
        print(f"bench: loaded {orders} orders in {seconds:.1f} s", file=sys.stderr, flush=True)
        today = datetime.now(UTC)
        with contextlib.redirect_stdout(io.StringIO()):  # the handlers' log and metric lines
            timings = {case.label: time_case(case, TENANT, runs) for case in cases(today)}
        scans = scanned_tables(engine, TENANT, today)
    finally:
        engine.dispose()
        bootstrap.engine().dispose()
        bootstrap.reset()
    lines = [
        f"{orders:,} orders of one tenant (loaded in {seconds:.0f} s), {runs} calls per figure;"
        f" ms of the warm handler; {machine()}, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| figure | computed p50 | computed p95 | computed max | cached p50 |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(timing.row(label) for label, timing in timings.items()),
        "",
        "Sequential scans in the plans: "
        + (", ".join(f"{label}: {', '.join(t)}" for label, t in scans.items() if t) or "none")
        + ".",
    ]
    table = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Admin stats, reports and analytics on PostgreSQL\n\n" + __doc__.split("\n\n", 2)[2] + "\n" + table + "\n"
    )
    print(table)
    return table


if __name__ == "__main__":
    main()
