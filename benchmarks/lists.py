"""Product lists at 10k, 100k and 1M rows of one tenant on PostgreSQL: does a page cost the same at any size?

    python -m benchmarks.lists            (or main() from benchmarks/run.py)

Loads one tenant's products with INSERT ... SELECT generate_series into a database of its own
(``STOREFRONT_BENCH_POSTGRES_URL``, default ``storefront_lists_bench`` on 127.0.0.1, dropped and created
afresh), runs VACUUM ANALYZE after each load, then times the list use case (``list_products`` through the
real repository: connection, statement, rows to products) for the first page of every sort x order and
every filter, a page by cursor near the end and the deepest offset page. Each figure is the median of
several runs. Every case's plan is checked with EXPLAIN: no sequential scan of PRODUCTS or of the search
terms. The markdown table goes to stdout and to benchmarks/results/lists.md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
  RETURNING "ID", "TENANT_ID", "NAME", "DELETED_AT"
)
INSERT INTO "PRODUCT_SEARCH_TERMS" ("TENANT_ID", "TERM", "PRODUCT_ID")
SELECT DISTINCT a."TENANT_ID", w, a."ID"
FROM added a CROSS JOIN LATERAL regexp_split_to_table(a."NAME", '[^a-z0-9]+') AS w
WHERE w <> '' AND a."DELETED_AT" IS NULL
"""


def load_products(connection: Connection, tenant: UUID, start: int, stop: int) -> None:
    """Products number start..stop-1 of ``tenant`` (2% soft-deleted) and their search terms, in one statement."""
    connection.execute(text(LOAD), {"tenant": str(tenant), "start": start, "stop": stop, "heirlooms": 20})


@dataclass(frozen=True)
class Case:
    """One list request of the benchmark; ``near_end`` pages by cursor from 40 rows before the end."""

    label: str
    query: ProductQuery
    near_end: bool = False


def cases() -> list[Case]:
    """Every offered sort x order and every filter (first pages), cursor pages near the end, the deepest offset."""
    found = [
        Case(f"sort={s}&order={o}", ProductQuery(sort=s, order=o))
        for s in ("created_at", "updated_at", "name", "sku", "price", "stock")
        for o in ("asc", "desc")
    ]
    found += [
        Case("status=discontinued (1%)", ProductQuery(status=ProductStatus.DISCONTINUED)),
        Case("status=inactive (10%)", ProductQuery(status=ProductStatus.INACTIVE)),
        Case("category=Category 7 (2%)", ProductQuery(category="Category 7")),
        Case("min_price=500&max_price=510 (1%)", ProductQuery(min_price=_d("500"), max_price=_d("510"))),
        Case("min_price=500&sort=price&order=asc", ProductQuery(min_price=_d("500"), sort="price", order="asc")),
        Case("q=zzz (no match)", ProductQuery(text="zzz")),
        Case("q=heirloom (20 rows at every size)", ProductQuery(text="heirloom")),
        Case("q=teapot (5%)", ProductQuery(text="teapot")),
        Case("q=blue tea (0.4%)", ProductQuery(text="blue tea")),
        Case("cursor near end, created_at desc", ProductQuery(), near_end=True),
        Case("cursor near end, name asc", ProductQuery(sort="name", order="asc"), near_end=True),
        Case("cursor near end, price desc", ProductQuery(sort="price", order="desc"), near_end=True),
        Case("cursor near end, stock asc", ProductQuery(sort="stock", order="asc"), near_end=True),
        Case("offset=9700, created_at desc", ProductQuery(offset=9700)),
    ]
    return found


def _d(value: str) -> Any:
    from decimal import Decimal

    return Decimal(value)


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
    """VACUUM ANALYZE: planner statistics and the visibility map (index-only scans) after a bulk load."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql('VACUUM ANALYZE "PRODUCTS"')
        connection.exec_driver_sql('VACUUM ANALYZE "PRODUCT_SEARCH_TERMS"')


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


def statement_for(connection: Connection, tenant: UUID, case: Case) -> tuple[Any, Keyset | None]:
    from storefront.adapters.db.products import page_statement

    after = keyset_near_end(connection, tenant, case.query) if case.near_end else None
    return page_statement(tenant, case.query, after), after


def time_case(engine: Engine, case: Case, after: Keyset | None, runs: int) -> float:
    """Median seconds of the list use case for ``case`` (the cursor, when any, names ``after``)."""
    from storefront.adapters.cache.no_cache import NoCache
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork
    from storefront.application import products
    from storefront.application.ports import CatalogPorts

    ports = CatalogPorts(unit_of_work=lambda: SqlUnitOfWork(engine), cache=NoCache(), clock=SystemClock())
    query = case.query
    if after is not None:
        from dataclasses import replace

        query = replace(query, cursor=query.listing(TENANT).cursor(after))
    timings = []
    for run in range(runs + 2):
        start = time.perf_counter()
        page = products.list_products(ports, TENANT, query)
        elapsed = time.perf_counter() - start
        if run >= 2:  # the first two warm the pool and the caches
            timings.append(elapsed)
    assert page.items or case.label.startswith("q=zzz"), case.label
    return statistics.median(timings)


@dataclass
class Measured:
    use_case_ms: dict[int, float]
    sql_ms: dict[int, float]
    seq_scans: set[str]


def measure(engine: Engine, size: int, results: dict[str, Measured], runs: int) -> None:
    for case in cases():
        with engine.connect() as connection:
            statement, after = statement_for(connection, TENANT, case)
            seq = sequential_scans(plan_of(connection, statement))
            executions = [plan_of(connection, statement, analyze_it=True)["Execution Time"] for _ in range(5)]
        entry = results.setdefault(case.label, Measured({}, {}, set()))
        entry.seq_scans.update(seq)
        entry.sql_ms[size] = statistics.median(executions)
        entry.use_case_ms[size] = time_case(engine, case, after, runs) * 1000


def table(results: dict[str, Measured], sizes: tuple[int, ...]) -> str:
    small, large = sizes[0], sizes[-1]
    names = [f"{s // 1000}k" if s < 1_000_000 else f"{s // 1_000_000}M" for s in sizes]
    head = (
        "| case | "
        + " | ".join(f"{n} ms" for n in names)
        + f" | {names[-1]}/{names[0]} | SQL {names[0]} ms | SQL {names[-1]} ms | SQL ratio | seq scan |"
    )
    lines = [head, "|" + " --- |" * (len(sizes) + 5)]
    for label, m in results.items():
        lines.append(
            f"| {label} | "
            + " | ".join(f"{m.use_case_ms[s]:.2f}" for s in sizes)
            + f" | {m.use_case_ms[large] / m.use_case_ms[small]:.2f}x"
            + f" | {m.sql_ms[small]:.3f} | {m.sql_ms[large]:.3f} | {m.sql_ms[large] / m.sql_ms[small]:.2f}x"
            + f" | {', '.join(sorted(m.seq_scans)) or 'none'} |"
        )
    return "\n".join(lines)


def main(sizes: tuple[int, ...] = SIZES, runs: int = 15) -> dict[str, Measured]:
    """Load, measure and print the table for each size in turn; write it to benchmarks/results/lists.md."""
    engine = fresh_database(BENCH_URL)
    results: dict[str, Measured] = {}
    loaded = 0
    for size in sizes:
        started = time.perf_counter()
        with engine.begin() as connection:
            load_products(connection, TENANT, loaded, size)
        analyze(engine)
        loaded = size
        print(f"loaded {size} products in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        measure(engine, size, results, runs)
    engine.dispose()
    report = table(results, sizes)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Product lists: one tenant's products on PostgreSQL\n\n"
        "`python -m benchmarks.lists`: median of the list use case (ms) per size; SQL is the server's "
        "execution time (EXPLAIN ANALYZE); 'seq scan' names any table a plan scans sequentially.\n\n" + report + "\n"
    )
    bad = {label: m.seq_scans for label, m in results.items() if m.seq_scans}
    if bad:
        raise SystemExit(f"sequential scans in: {bad}")
    return results


if __name__ == "__main__":
    main()
