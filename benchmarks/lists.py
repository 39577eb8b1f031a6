"""Product lists at 10k, 100k and 1M rows of one tenant on PostgreSQL: does a page cost the same at any size?

    python -m benchmarks.lists            (or main() from benchmarks/run.py)

Loads three tenants' products (10k, 100k and 1M, side by side as tenants share tables in production)
with INSERT ... SELECT generate_series into a database of its own (``STOREFRONT_BENCH_POSTGRES_URL``,
default ``storefront_lists_bench`` on 127.0.0.1, dropped and created afresh), runs VACUUM ANALYZE, then
times the warm list handler (an API Gateway event: the headline ratio) for the first page of every sort x
order and every filter, a page by cursor near the end and the deepest offset page: with the list's total
remembered, and counting it (as the first request after a write). The sizes take turns call by call, so
the machine's slow spells fall on every size alike; each figure is a median. The SQL server's execution
time of the page alone and with its count comes from EXPLAIN ANALYZE, and every plan is checked: no
sequential scan of PRODUCTS or of the search terms. The markdown table goes to stdout and to
benchmarks/results/lists.md.
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
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from sqlalchemy import Connection, Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storefront.application.queries import Keyset, ProductQuery  # noqa: E402
from storefront.domain.products import ProductStatus  # noqa: E402

BENCH_URL = os.environ.get(
    "STOREFRONT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/storefront_lists_bench"
)
TENANT = UUID("0b0b0b0b-0000-4000-8000-00000000beef")
SIZES = (10_000, 100_000, 1_000_000)


def tenant_of(size: int) -> UUID:
    """The tenant holding ``size`` products: one tenant per size, side by side in one database."""
    return UUID(int=TENANT.int + size)


RESULTS = ROOT / "benchmarks" / "results" / "lists.md"
RANDOM_PAGE_COST = 1.1

# Names are "<adjective> <material> <noun>" (2,400 distinct names: the name sort leans on the id tiebreak);
# one product in 5,000 is also "limited"; the first 20 of any load are also "heirloom" (20 at every size).
LOAD = """
WITH added AS (
  INSERT INTO "PRODUCTS" ("ID", "TENANT_ID", "CREATED_AT", "UPDATED_AT", "CREATED_BY", "UPDATED_BY", "DELETED_AT",
                          "VERSION", "SKU", "NAME", "DESCRIPTION", "PRICE_AMOUNT", "PRICE_CURRENCY", "STOCK",
                          "STATUS", "CATEGORY")
  SELECT md5(CAST(:tenant AS text) || i)::uuid, CAST(:tenant AS uuid),
         TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * INTERVAL '1 second',
         TIMESTAMPTZ '2020-01-01 00:00:00+00' + ((i * 7919) % 10000019) * INTERVAL '1 second',
         'bench', 'bench',
         CASE WHEN i % 50 = 0 THEN TIMESTAMPTZ '2024-01-01 00:00:00+00' END,
         1, 'SKU-' || lpad(i::text, 9, '0'),
         (ARRAY['red','green','blue','black','white','grey','amber','olive','navy','ivory','rust','teal'])[1 + i % 12]
           || ' ' || (ARRAY['cotton','iron','oak','steel','glass','linen','wool','clay','brass','bamboo'])
                     [1 + (i / 12) % 10]
           || ' ' || (ARRAY['mug','teapot','bowl','lamp','chair','towel','vase','tray','jar','rug','clock','stool',
                            'shelf','basket','candle','plate','kettle','pillow','mirror','spoon'])[1 + (i / 120) % 20]
           || CASE WHEN i % 5000 = 0 THEN ' limited' ELSE '' END
           || CASE WHEN i < :heirlooms THEN ' heirloom' ELSE '' END,
         NULL, (100 + (i * 37) % 99900) / 100.0, 'EUR', (i * 13) % 1000,
         CASE WHEN i % 10 = 3 THEN 'inactive' WHEN i % 100 = 7 THEN 'discontinued' ELSE 'active' END,
         'Category ' || (i % 50)
  FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS s(i)
  RETURNING "ID", "TENANT_ID", "NAME", "DELETED_AT", "CREATED_AT"
)
INSERT INTO "PRODUCT_SEARCH_TERMS" ("TENANT_ID", "TERM", "PRODUCT_ID", "PRODUCT_CREATED_AT")
SELECT DISTINCT a."TENANT_ID", w, a."ID", a."CREATED_AT"
FROM added a CROSS JOIN LATERAL regexp_split_to_table(a."NAME", '[^a-z0-9]+') AS w
WHERE w <> '' AND a."DELETED_AT" IS NULL
"""


def load_products(connection: Connection, tenant: UUID, start: int, stop: int) -> None:
    """Products number start..stop-1 of ``tenant`` (2% soft-deleted) and their search terms, in one statement."""
    connection.execute(text(LOAD), {"tenant": str(tenant), "start": start, "stop": stop, "heirlooms": 20})


@dataclass(frozen=True)
class Case:
    """One list request of the benchmark (its query string); ``near_end`` pages by cursor from 40 rows
    before the end."""

    label: str
    params: dict[str, str]
    near_end: bool = False

    @property
    def query(self) -> ProductQuery:
        """The use case's query for these parameters (what the handler builds from them)."""
        p = self.params
        return ProductQuery(
            limit=int(p.get("limit", "20")),
            offset=int(p.get("offset", "0")),
            sort=p.get("sort", "created_at"),
            order="asc" if p.get("order") == "asc" else "desc",
            status=ProductStatus(p["status"]) if "status" in p else None,
            category=p.get("category"),
            min_price=Decimal(p["min_price"]) if "min_price" in p else None,
            max_price=Decimal(p["max_price"]) if "max_price" in p else None,
            text=p.get("q"),
        )


def cases() -> list[Case]:
    """Every offered sort x order and every filter (first pages), cursor pages near the end, the deepest offset."""
    found = [
        Case(f"sort={s}&order={o}", {"sort": s, "order": o})
        for s in ("created_at", "updated_at", "name", "sku", "price", "stock")
        for o in ("asc", "desc")
    ]
    found += [
        Case("status=discontinued (1%)", {"status": "discontinued"}),
        Case("status=inactive (10%)", {"status": "inactive"}),
        Case("category=Category 7 (2%)", {"category": "Category 7"}),
        Case("min_price=500&max_price=510 (1%)", {"min_price": "500", "max_price": "510"}),
        Case("min_price=500&sort=price&order=asc", {"min_price": "500", "sort": "price", "order": "asc"}),
        Case("q=zzz (no match)", {"q": "zzz"}),
        Case("q=heirloom (20 rows at every size)", {"q": "heirloom"}),
        Case("q=teapot (5%)", {"q": "teapot"}),
        Case("q=blue teapot (0.4%)", {"q": "blue teapot"}),
        Case("q=teapot&status=inactive (0.5%)", {"q": "teapot", "status": "inactive"}),
        Case("cursor near end, created_at desc", {}, near_end=True),
        Case("cursor near end, name asc", {"sort": "name", "order": "asc"}, near_end=True),
        Case("cursor near end, price desc", {"sort": "price", "order": "desc"}, near_end=True),
        Case("cursor near end, stock asc", {"sort": "stock", "order": "asc"}, near_end=True),
        Case("offset=9700, created_at desc", {"offset": "9700"}),
    ]
    return found


def fresh_database(url: str) -> Engine:
    """Drop and create the benchmark database, migrate it, and return an engine on it."""
    from localdev.stack import migrate

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        # Storage is SSD (as on RDS/Aurora): a random page read costs about what a sequential one does.
        connection.exec_driver_sql(f'ALTER DATABASE "{target.database}" SET random_page_cost = {RANDOM_PAGE_COST}')
    admin.dispose()
    migrate(url)
    return create_engine(url, pool_size=1)


def analyze(engine: Engine) -> None:
    """VACUUM ANALYZE: planner statistics and the visibility map (index-only scans) after a bulk load; then a
    CHECKPOINT, so the load's dirty pages are not written out while the next size is being measured."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql('VACUUM ANALYZE "PRODUCTS"')
        connection.exec_driver_sql('VACUUM ANALYZE "PRODUCT_SEARCH_TERMS"')
        connection.exec_driver_sql("CHECKPOINT")


def keyset_near_end(connection: Connection, tenant: UUID, query: ProductQuery, rows_before_end: int = 40) -> Keyset:
    """The keyset of the row ``rows_before_end`` from the end of the list (read from the reversed list)."""
    from storefront.adapters.db.products import from_row, page_statement

    reverse = ProductQuery(sort=query.sort, order="asc" if query.order == "desc" else "desc", limit=1)
    statement = page_statement(tenant, reverse).offset(rows_before_end).limit(1)
    row = connection.execute(statement).first()
    assert row is not None
    return query.keyset_of(from_row(row))


def plan_of(connection: Connection, statement: Any, analyze_it: bool = False) -> dict[str, Any]:
    """PostgreSQL's JSON plan of a SQLAlchemy statement (EXPLAIN, with ANALYZE when asked)."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    options = "ANALYZE, FORMAT JSON" if analyze_it else "FORMAT JSON"
    raw = connection.exec_driver_sql(f"EXPLAIN ({options}) {compiled.string}", compiled.params).scalar_one()
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return dict(plan[0])


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def sequential_scans(plan: dict[str, Any]) -> list[str]:
    """The tables a plan reads with a sequential scan."""
    return [str(n.get("Relation Name")) for n in _nodes(plan["Plan"]) if n["Node Type"] == "Seq Scan"]


def statement_for(
    connection: Connection, tenant: UUID, case: Case, *, counted: bool = True
) -> tuple[Any, Keyset | None]:
    """The case's page statement (with the capped count when ``counted``) and the keyset it starts after."""
    from storefront.adapters.db.products import page_statement

    after = keyset_near_end(connection, tenant, case.query) if case.near_end else None
    return page_statement(tenant, case.query, after, counted=counted), after


def _with_cursor(case: Case, tenant: UUID, after: Keyset | None) -> Case:
    """The case with the cursor of ``after`` among its parameters (unchanged when there is none)."""
    if after is None:
        return case
    return Case(case.label, {**case.params, "cursor": case.query.listing(tenant).cursor(after)}, case.near_end)


def _median_ms(call: Any, runs: int) -> tuple[float, Any]:
    """Median milliseconds of ``call()`` over ``runs`` runs after two warm-up runs, and its last answer.
    The garbage collector is paused while the calls run, as ``timeit`` does."""
    timings = []
    answer = None
    gc.collect()
    gc.disable()
    try:
        for run in range(runs + 2):
            start = time.perf_counter()
            answer = call()
            elapsed = time.perf_counter() - start
            if run >= 2:  # the first two warm the pool and the caches
                timings.append(elapsed)
    finally:
        gc.enable()
    return statistics.median(timings) * 1000, answer


def list_event(params: dict[str, str], tenant: UUID = TENANT) -> dict[str, Any]:
    """An API Gateway GET /products event of ``tenant`` with ``params`` as its query string."""
    from benchmarks.events import event

    evt = event("list_products")
    evt["queryStringParameters"] = dict(params) or None
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
    evt["requestContext"]["authorizer"]["tenant_id"] = str(tenant)
    return evt


def forget_totals(tenant: UUID) -> None:
    """What a write does to the tenant's remembered list totals (and what a bulk load must do)."""
    from storefront import bootstrap
    from storefront.application.products import totals_scope

    bootstrap.list_totals().forget(totals_scope(tenant))


def time_handler(events: dict[int, dict[str, Any]], runs: int, *, counting: bool) -> dict[int, float]:
    """Median milliseconds per size of the warm ``products.list_products.handler`` for each size's event:
    what a client waits for behind the gateway (validation, use case, envelope, JSON, logs and metrics).

    The sizes take turns, call by call (in a rotating order), so a slow spell of the machine lands on
    every size alike instead of on whichever size was being measured then. ``counting``: the tenant's
    remembered totals are forgotten (untimed) before each call, as after a write, so every call counts
    its matches (the first request after a change); otherwise the count is remembered.
    """
    from localdev.runtime import LambdaContext, load_handler

    handler = load_handler("products.list_products.handler")
    sizes = list(events)
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    gc.collect()
    gc.disable()  # as timeit does: a collection would land on whichever call crosses its threshold
    try:
        for run in range(runs + 2):
            for size in sizes[run % len(sizes) :] + sizes[: run % len(sizes)]:
                evt = events[size]
                if counting:
                    forget_totals(UUID(evt["requestContext"]["authorizer"]["tenant_id"]))
                start = time.perf_counter()
                answer = handler(evt, LambdaContext("bench-lists"))
                elapsed = time.perf_counter() - start
                if answer["statusCode"] != 200:
                    raise RuntimeError(f"{answer['statusCode']} {answer.get('body')}")
                if run >= 2:  # the first two warm the pool and the caches
                    timings[size].append(elapsed)
    finally:
        gc.enable()
    return {size: statistics.median(values) * 1000 for size, values in timings.items()}


@dataclass
class Measured:
    """One case's medians per size: the handler with its count remembered and with it counted, and the
    SQL server's execution time of the page alone and of the page with its capped count."""

    handler_ms: dict[int, float]
    counting_ms: dict[int, float]
    page_sql_ms: dict[int, float]
    counted_sql_ms: dict[int, float]
    seq_scans: set[str]


def _execution_ms(connection: Connection, statement: Any) -> float:
    return float(statistics.median(plan_of(connection, statement, analyze_it=True)["Execution Time"] for _ in range(5)))


def measure(engine: Engine, case: Case, sizes: tuple[int, ...], runs: int) -> Measured:
    """Time one case at every size (each size its own tenant) and check its plans."""
    entry = Measured({}, {}, {}, {}, set())
    events: dict[int, dict[str, Any]] = {}
    for size in sizes:
        tenant = tenant_of(size)
        with engine.connect() as connection:
            page, after = statement_for(connection, tenant, case, counted=False)
            counted, _ = statement_for(connection, tenant, case)
            for statement in (page, counted):
                entry.seq_scans.update(sequential_scans(plan_of(connection, statement)))
            entry.page_sql_ms[size] = _execution_ms(connection, page)
            entry.counted_sql_ms[size] = _execution_ms(connection, counted)
        events[size] = list_event(_with_cursor(case, tenant, after).params, tenant)
    entry.counting_ms = time_handler(events, runs, counting=True)
    entry.handler_ms = time_handler(events, runs, counting=False)
    return entry


def _ratio(values: dict[int, float], small: int, large: int) -> str:
    return f"{values[large] / values[small]:.2f}x"


def table(results: dict[str, Measured], sizes: tuple[int, ...]) -> str:
    """The markdown table: the handler per size and its ratio first (count remembered), then the handler
    when it counts (the first request after a write), then the SQL of the page alone and with its count."""
    small, large = sizes[0], sizes[-1]
    names = [f"{s // 1000}k" if s < 1_000_000 else f"{s // 1_000_000}M" for s in sizes]
    lo, hi = names[0], names[-1]
    columns = [
        "case",
        *(f"{n} ms" for n in names),
        f"{hi}/{lo}",
        f"counting {lo} ms",
        f"counting {hi} ms",
        "counting ratio",
        f"SQL page {lo} ms",
        f"SQL page {hi} ms",
        "SQL page ratio",
        f"SQL page + count {hi} ms",
        "seq scan",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for label, m in results.items():
        cells = [
            label,
            *(f"{m.handler_ms[s]:.2f}" for s in sizes),
            _ratio(m.handler_ms, small, large),
            f"{m.counting_ms[small]:.2f}",
            f"{m.counting_ms[large]:.2f}",
            _ratio(m.counting_ms, small, large),
            f"{m.page_sql_ms[small]:.3f}",
            f"{m.page_sql_ms[large]:.3f}",
            _ratio(m.page_sql_ms, small, large),
            f"{m.counted_sql_ms[large]:.3f}",
            ", ".join(sorted(m.seq_scans)) or "none",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def handler_environment() -> dict[str, str]:
    """What the list function reads from its environment, aimed at the benchmark database."""
    from benchmarks.environment import BASE_ENV, REDIS_URL

    return {**BASE_ENV, "DATABASE_URL": BENCH_URL, "REDIS_URL": REDIS_URL}


def main(sizes: tuple[int, ...] = SIZES, runs: int = 31) -> dict[str, Measured]:
    """Load, measure and print the table for each size in turn; write it to benchmarks/results/lists.md."""
    from storefront import bootstrap

    engine = fresh_database(BENCH_URL)
    os.environ.update(handler_environment())
    bootstrap.reset()
    results: dict[str, Measured] = {}
    try:
        for size in sizes:
            started = time.perf_counter()
            with engine.begin() as connection:
                load_products(connection, tenant_of(size), 0, size)
            print(f"loaded {size} products in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        analyze(engine)
        for size in sizes:
            forget_totals(tenant_of(size))  # rows loaded behind the application's back
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's log and metric lines
            for case in cases():
                results[case.label] = measure(engine, case, sizes, runs)
    finally:
        engine.dispose()
        bootstrap.engine().dispose()
        bootstrap.reset()
    report = table(results, sizes)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Product lists: one tenant's products on PostgreSQL\n\n"
        "`python -m benchmarks.lists`: medians in ms per size; each size is one tenant's products (10k, 100k "
        "and 1M tenants side by side in one database, as tenants share tables in production), measured call "
        "by call in turn so that a slow spell of the machine cannot favour one size. The first columns and "
        "the ratio are the warm "
        "`products.list_products.handler` called with an API Gateway event (what a client waits for behind the "
        "gateway), with the list's capped total remembered in Redis (every request but the first after a "
        "write to the tenant's catalogue); 'counting' is the same handler when it counts the matches (the "
        "tenant's totals forgotten before each call, as a write does); SQL is the server's execution time "
        "(EXPLAIN ANALYZE, its per-node timing included) of the page alone and, at the largest size, of the "
        "page with its capped count; 'seq scan' names any table a plan scans sequentially.\n\n" + report + "\n"
    )
    bad = {label: m.seq_scans for label, m in results.items() if m.seq_scans}
    if bad:
        raise SystemExit(f"sequential scans in: {bad}")
    return results


if __name__ == "__main__":
    main()
