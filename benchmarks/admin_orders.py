"""The admin's orders list at 10k / 100k / 1M orders of one tenant on PostgreSQL: plans and timings.

`python -m benchmarks.admin_orders` (and `make bench`, from benchmarks/run.py). Each size is one tenant's
orders (1,000 customers; 2% soft-deleted; statuses as a shop that has run for a while has them: 72% DELIVERED,
10% CONFIRMED, 8% SHIPPED, 4% each CANCELLED and FAILED, 1% each PENDING and RESERVED), each with one item and
one event, loaded by one statement per size into its own database. For every case (each sort, each filter
and the filters together) it checks that no plan scans a table and times the SQL server's execution of the
page alone and with its capped count (EXPLAIN ANALYZE), and the warm handler (`admin.list_orders.handler`)
with an API Gateway event. Results: benchmarks/results/admin_orders.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from benchmarks.lists import BENCH_URL, ROOT, fresh_database, handler_environment, plan_of, sequential_scans
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.domain.orders import OrderStatus

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SIZES = (10_000, 100_000) if QUICK else (10_000, 100_000, 1_000_000)
CUSTOMERS = 1_000
RESULTS = ROOT / "benchmarks" / "results" / "admin_orders.md"
DATABASE = make_url(BENCH_URL).set(database="storefront_admin_orders_bench").render_as_string(hide_password=False)

# Order i of a tenant: placed 30 s after order i-1 from 2025-01-01, by customer (i * 7) % 1000, last changed
# up to a week later, total 1.00 .. 999.99; its status from i % 100 (see the module docstring).
LOAD_ORDERS = """
WITH product AS (
  INSERT INTO "PRODUCTS" ("ID", "TENANT_ID", "CREATED_AT", "UPDATED_AT", "CREATED_BY", "UPDATED_BY", "VERSION",
                          "SKU", "NAME", "PRICE_AMOUNT", "PRICE_CURRENCY", "STOCK", "STATUS")
  VALUES (md5(CAST(:tenant AS text) || 'product')::uuid, CAST(:tenant AS uuid), TIMESTAMPTZ '2025-01-01 00:00:00+00',
          TIMESTAMPTZ '2025-01-01 00:00:00+00', 'bench', 'bench', 1, 'BENCH-ORDERED', 'Bench teapot', 1, 'EUR', 0,
          'active')
  RETURNING "ID"
), added AS (
  INSERT INTO "ORDERS" ("ID", "TENANT_ID", "CREATED_AT", "UPDATED_AT", "CREATED_BY", "UPDATED_BY", "DELETED_AT",
                        "VERSION", "USER_ID", "STATUS", "PAYMENT_STATUS", "TOTAL_AMOUNT", "CURRENCY", "SHIPPING_LINE1",
                        "SHIPPING_CITY", "SHIPPING_POSTAL_CODE", "SHIPPING_COUNTRY", "PAYMENT_TOKEN", "EVENT_SEQUENCE")
  SELECT md5(CAST(:tenant AS text) || 'order' || i)::uuid, CAST(:tenant AS uuid),
         TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL '30 seconds',
         TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL '30 seconds' + ((i * 7919) % 604800) * INTERVAL '1 second',
         'bench', 'bench', CASE WHEN i % 50 = 49 THEN TIMESTAMPTZ '2026-01-01 00:00:00+00' END, 1,
         md5(CAST(:tenant AS text) || 'customer' || ((i * 7) % :customers))::uuid,
         CASE WHEN i % 100 = 0 THEN 'PENDING' WHEN i % 100 = 1 THEN 'RESERVED' WHEN i % 100 < 12 THEN 'CONFIRMED'
              WHEN i % 100 < 20 THEN 'SHIPPED' WHEN i % 100 < 24 THEN 'CANCELLED' WHEN i % 100 < 28 THEN 'FAILED'
              ELSE 'DELIVERED' END,
         'captured', (100 + (i * 37) % 99900) / 100.0, 'EUR', '1 Rue de la Paix', 'Paris', '75002', 'FR',
         'tok_approve', 1
  FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS s(i)
  RETURNING "ID", "TENANT_ID", "TOTAL_AMOUNT", "CREATED_AT"
), items AS (
  INSERT INTO "ORDER_ITEMS" ("ORDER_ID", "LINE_NUMBER", "TENANT_ID", "PRODUCT_ID", "SKU", "NAME", "QUANTITY",
                             "UNIT_PRICE", "LINE_TOTAL", "CURRENCY")
  SELECT a."ID", 1, a."TENANT_ID", p."ID", 'BENCH-ORDERED', 'Bench teapot', 1, a."TOTAL_AMOUNT", a."TOTAL_AMOUNT",
         'EUR'
  FROM added a CROSS JOIN product p
)
INSERT INTO "ORDER_EVENTS" ("ID", "ORDER_ID", "SEQUENCE", "TENANT_ID", "KIND", "TO_STATUS", "PAYMENT_STATUS",
                            "OCCURRED_AT", "ACTOR")
SELECT md5(CAST(a."ID" AS text) || 'placed')::uuid, a."ID", 1, a."TENANT_ID", 'placed', 'PENDING', 'pending',
       a."CREATED_AT", 'bench'
FROM added a
"""
TABLES = ("PRODUCTS", "ORDERS", "ORDER_ITEMS", "ORDER_EVENTS")


def load_orders(connection: Connection, tenant: UUID, start: int, stop: int) -> None:
    """Orders number start..stop-1 of ``tenant``, each with its item and its event, in one statement (and the one
    product they order; one load per tenant)."""
    params = {"tenant": str(tenant), "start": start, "stop": stop, "customers": CUSTOMERS}
    connection.execute(text(LOAD_ORDERS), params)


def customer(tenant: UUID, n: int) -> UUID:
    """The id of customer ``n`` of a loaded tenant."""
    return UUID(hashlib.md5(f"{tenant}customer{n}".encode()).hexdigest())  # noqa: S324 - the loader's md5 ids


def tenant_of(size: int) -> UUID:
    """The tenant holding ``size`` orders."""
    return UUID(int=0x0B0B0B0B_0000_4000_8000_0AD000000000 + size)


@dataclass(frozen=True)
class Case:
    """One admin list request: its label and query string (``user`` stands for a customer's id)."""

    label: str
    params: dict[str, str]

    def query_string(self, tenant: UUID) -> dict[str, str]:
        """The parameters a client sends for ``tenant`` (its customer 7 when the case filters by user)."""
        return {k: (str(customer(tenant, 7)) if v == "user" else v) for k, v in self.params.items()}

    def query(self, tenant: UUID) -> AdminOrderQuery:
        """What AdminListOrders builds from the query string."""
        p = self.query_string(tenant)
        day = datetime.fromisoformat
        return AdminOrderQuery(
            limit=int(p.get("limit", "20")),
            sort=p.get("sort", "created_at"),
            order="asc" if p.get("order") == "asc" else "desc",
            status=OrderStatus(p["status"]) if "status" in p else None,
            user_id=UUID(p["user_id"]) if "user_id" in p else None,
            created_from=day(p["created_from"]) if "created_from" in p else None,
            created_to=day(p["created_to"]) if "created_to" in p else None,
            min_total=Decimal(p["min_total"]) if "min_total" in p else None,
            max_total=Decimal(p["max_total"]) if "max_total" in p else None,
        )


def cases() -> list[Case]:
    """Every sort x order of the whole tenant, each filter alone and the filters together."""
    found = [
        Case(f"sort={s}&order={o}", {"sort": s, "order": o})
        for s in ("created_at", "updated_at", "total")
        for o in ("asc", "desc")
    ]
    found += [
        Case("status=PENDING (1%)", {"status": "PENDING"}),
        Case("status=CONFIRMED&order=asc (10%, oldest first: what to ship)", {"status": "CONFIRMED", "order": "asc"}),
        Case("status=DELIVERED (72%)", {"status": "DELIVERED"}),
        Case("status=SHIPPED&sort=updated_at (8%)", {"status": "SHIPPED", "sort": "updated_at"}),
        Case("user_id (0.1%)", {"user_id": "user"}),
        Case("user_id&status=DELIVERED", {"user_id": "user", "status": "DELIVERED"}),
        Case("user_id&sort=total", {"user_id": "user", "sort": "total"}),
        Case(
            "created one day",
            {"created_from": "2025-01-05T00:00:00+00:00", "created_to": "2025-01-05T23:59:59.999999+00:00"},
        ),
        Case("min_total=990 (1%)", {"min_total": "990"}),
        Case("min_total=500&max_total=505&sort=total", {"min_total": "500", "max_total": "505", "sort": "total"}),
        Case(
            "status=CONFIRMED&min_total=900&created one month",
            {
                "status": "CONFIRMED",
                "min_total": "900",
                "created_from": "2025-02-01T00:00:00+00:00",
                "created_to": "2025-02-28T23:59:59+00:00",
            },
        ),
        Case("limit=100", {"limit": "100"}),
    ]
    return found


def page_statement(tenant: UUID, case: Case, *, counted: bool) -> Any:
    """The repository's statement of the case's first page (with its capped count when ``counted``)."""
    from storefront.adapters.db.orders import page_where, tenant_where

    query = case.query(tenant)
    return page_where(tenant_where(tenant, query), query, counted=counted)


def analyze(engine: Engine) -> None:
    """Statistics and the visibility map after the bulk load (autovacuum off: the plans see this load alone)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:
            connection.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
        connection.exec_driver_sql("CHECKPOINT")


@dataclass
class Measured:
    """One case at one size: SQL execution of the page alone and with its count, the warm handler, seq scans."""

    page_ms: float
    counted_ms: float
    handler_ms: float
    seq_scans: list[str]


def _execution_ms(connection: Connection, statement: Any, runs: int) -> float:
    return float(
        statistics.median(plan_of(connection, statement, analyze_it=True)["Execution Time"] for _ in range(runs))
    )


def _handler_ms(tenant: UUID, case: Case, runs: int) -> float:
    from localdev.runtime import LambdaContext, load_handler

    handler = load_handler("admin.list_orders.handler")
    evt = json.loads((ROOT / "events" / "admin" / "list_orders.json").read_text())
    params = case.query_string(tenant)
    evt["queryStringParameters"] = params or None
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
    evt["requestContext"]["authorizer"]["tenant_id"] = str(tenant)
    timings = []
    for run in range(runs + 2):
        started = time.perf_counter()
        answer = handler(evt, LambdaContext("bench-admin-orders"))
        if answer["statusCode"] != 200:
            raise RuntimeError(f"{case.label}: {answer['statusCode']} {answer.get('body')}")
        if run >= 2:
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def measure(engine: Engine, sizes: tuple[int, ...], runs: int) -> dict[str, dict[int, Measured]]:
    """Every case at every size."""
    results: dict[str, dict[int, Measured]] = {}
    for case in cases():
        results[case.label] = {}
        for size in sizes:
            tenant = tenant_of(size)
            with engine.connect() as connection:
                page, counted = (page_statement(tenant, case, counted=c) for c in (False, True))
                scans = sequential_scans(plan_of(connection, page)) + sequential_scans(plan_of(connection, counted))
                page_ms, counted_ms = _execution_ms(connection, page, 5), _execution_ms(connection, counted, 5)
            with contextlib.redirect_stdout(io.StringIO()):  # the handler's log and metric lines
                handler_ms = _handler_ms(tenant, case, runs)
            results[case.label][size] = Measured(page_ms, counted_ms, handler_ms, scans)
    return results


def table(results: dict[str, dict[int, Measured]], sizes: tuple[int, ...]) -> str:
    """The markdown table: handler, SQL page and SQL page + count per size, and any table scanned."""
    names = [f"{s // 1000}k" if s < 1_000_000 else f"{s // 1_000_000}M" for s in sizes]
    columns = [
        "case",
        *(f"handler {n} ms" for n in names),
        *(f"SQL page {n} ms" for n in names),
        *(f"SQL page + count {n} ms" for n in names),
        "seq scan",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for label, by_size in results.items():
        cells = [
            label,
            *(f"{by_size[s].handler_ms:.2f}" for s in sizes),
            *(f"{by_size[s].page_ms:.3f}" for s in sizes),
            *(f"{by_size[s].counted_ms:.3f}" for s in sizes),
            ", ".join(sorted({t for m in by_size.values() for t in m.seq_scans})) or "none",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(sizes: tuple[int, ...] = SIZES, runs: int = 5 if QUICK else 21) -> dict[str, dict[int, Measured]]:
    """Load every size, measure every case, print the table and write it to benchmarks/results/admin_orders.md;
    exit non-zero when a plan scans a table."""
    from storefront import bootstrap

    engine = fresh_database(DATABASE)
    os.environ.update({**handler_environment(), "DATABASE_URL": DATABASE})
    bootstrap.reset()
    try:
        for size in sizes:
            started = time.perf_counter()
            with engine.begin() as connection:
                load_orders(connection, tenant_of(size), 0, size)
            print(f"loaded {size} orders in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        analyze(engine)
        results = measure(engine, sizes, runs)
    finally:
        engine.dispose()
        bootstrap.engine().dispose()
        bootstrap.reset()
    report = table(results, sizes)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Admin orders list: one tenant's orders of every customer, on PostgreSQL\n\n"
        "`python -m benchmarks.admin_orders`: medians in ms per size (each size one tenant's orders, side by side "
        "in one database). 'handler' is the warm `admin.list_orders.handler` called with an API Gateway event "
        "(it counts its matches, capped at 10,001, on every request: the admin list remembers no total); SQL is "
        "the server's execution time (EXPLAIN ANALYZE) of the first page alone and with its capped count; 'seq "
        "scan' names any table a plan scans sequentially.\n\n" + report + "\n"
    )
    bad = {label: m for label, by_size in results.items() for m in by_size.values() if m.seq_scans}
    if bad:
        raise SystemExit(f"sequential scans in: {sorted(bad)}")
    return results


if __name__ == "__main__":
    main()
