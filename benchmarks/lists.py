"""Lists at 10k, 100k and 1M rows of one tenant on PostgreSQL: does a page cost the same at any size?

    python -m benchmarks.lists            (or main() from benchmarks/run.py)

Two lists, measured alike: products (ListProducts) and the admin's users list (AdminListUsers). For each,
loads three tenants' rows (10k, 100k and 1M, side by side as tenants share tables in production) with
INSERT ... SELECT generate_series into a database of its own (``STOREFRONT_BENCH_POSTGRES_URL``, default
``storefront_lists_bench`` on 127.0.0.1, dropped and created afresh), runs VACUUM ANALYZE, then times the
warm list handler (an API Gateway event: the headline ratio) for the first page of every sort x order and
every filter, a page by cursor near the end and the deepest offset page: with the list's total
remembered, and counting it (as the first request after a write). The sizes take turns call by call, so
the machine's slow spells fall on every size alike; each figure is a median. The SQL server's execution
time of the page alone and with its count comes from EXPLAIN ANALYZE, and every plan is checked: no
sequential scan of any table. The markdown table goes to stdout and to benchmarks/results/lists.md.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from sqlalchemy import Connection, Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from storefront.application.queries import Keyset, ProductQuery  # noqa: E402
from storefront.application.user_queries import UserQuery  # noqa: E402
from storefront.domain.identity import Role  # noqa: E402
from storefront.domain.products import ProductStatus  # noqa: E402
from storefront.domain.users import UserStatus  # noqa: E402

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


# Users are "<first>.<last><n>@<domain>", username "<first><n>", full name "<First> <Last>": 20 first names
# (5% each), 25 last names, so a first and a last name meet in 0.2%; the domain word "example" is in 25%.
# 2% are soft-deleted, 5% banned, 1% admins, 25% never signed in (no last_login_at), each drawn from other
# digits of the row number so they meet as independent draws would (a banned "ada" is 0.25%, no admin is
# deleted); the first 20 of any load are also "Founder" (20 at every size). No password (the marker of an
# account without one).
FIRST_NAMES = ("ada", "grace", "alan", "linus", "barbara", "edsger", "donald", "margaret", "ken", "dennis", "frances",
               "john", "radia", "tim", "katherine", "vint", "hedy", "niklaus", "sophie", "guido")  # fmt: skip
LAST_NAMES = ("lovelace", "hopper", "turing", "torvalds", "liskov", "dijkstra", "knuth", "hamilton", "thompson",
              "ritchie", "allen", "backus", "perlman", "lee", "johnson", "cerf", "lamarr", "wirth", "wilson", "rossum",
              "kay", "hoare", "codd", "lamport", "stroustrup")  # fmt: skip
LOAD_USERS = """
WITH generated AS (
  SELECT i,
         (CAST(:first_names AS text[]))[1 + i % 20] AS first,
         (CAST(:last_names AS text[]))[1 + (i / 20) % 25] AS last,
         (ARRAY['example.com', 'mail.test', 'post.test', 'inbox.test'])[1 + (i / 500) % 4] AS domain
  FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS s(i)
), added AS (
  INSERT INTO "USERS" ("ID", "TENANT_ID", "CREATED_AT", "UPDATED_AT", "CREATED_BY", "UPDATED_BY", "DELETED_AT",
                       "VERSION", "EMAIL", "EMAIL_KEY", "USERNAME", "USERNAME_KEY", "FULL_NAME", "ROLE", "STATUS",
                       "EMAIL_VERIFIED", "LAST_LOGIN_AT", "PASSWORD_HASH", "PROFILE_DATA", "SETTINGS_DATA")
  SELECT md5('user' || CAST(:tenant AS text) || i)::uuid, CAST(:tenant AS uuid),
         TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * INTERVAL '1 second',
         TIMESTAMPTZ '2020-01-01 00:00:00+00' + ((i * 7919) % 10000019) * INTERVAL '1 second',
         'bench', 'bench',
         CASE WHEN i % 50 = 0 THEN TIMESTAMPTZ '2024-01-01 00:00:00+00' END,
         1, first || '.' || last || i || '@' || domain, first || '.' || last || i || '@' || domain,
         first || i, first || i,
         initcap(first) || ' ' || initcap(last) || CASE WHEN i < :founders THEN ' Founder' ELSE '' END,
         CASE WHEN (i / 3) % 100 = 1 THEN 'admin' ELSE 'user' END,
         CASE WHEN (i / 7) % 20 = 3 THEN 'banned' ELSE 'active' END,
         CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END,
         CASE WHEN i % 4 <> 0
              THEN TIMESTAMPTZ '2024-01-01 00:00:00+00' + ((i * 104729) % 31536000) * INTERVAL '1 second' END,
         '!', NULL, NULL
  FROM generated
  RETURNING "ID", "TENANT_ID", "USERNAME", "EMAIL", "FULL_NAME", "DELETED_AT", "CREATED_AT"
)
INSERT INTO "USER_SEARCH_TERMS" ("TENANT_ID", "TERM", "USER_ID", "USER_CREATED_AT")
SELECT DISTINCT a."TENANT_ID", w, a."ID", a."CREATED_AT"
FROM added a
CROSS JOIN LATERAL regexp_split_to_table(
  lower(a."USERNAME" || ' ' || a."EMAIL" || ' ' || a."FULL_NAME"), '[^a-z0-9]+') AS w
WHERE w <> '' AND a."DELETED_AT" IS NULL
"""


def load_users(connection: Connection, tenant: UUID, start: int, stop: int) -> None:
    """Users number start..stop-1 of ``tenant`` and their search terms, in one statement (see LOAD_USERS)."""
    parameters = {
        "tenant": str(tenant),
        "start": start,
        "stop": stop,
        "founders": 20,
        "first_names": list(FIRST_NAMES),
        "last_names": list(LAST_NAMES),
    }
    connection.execute(text(LOAD_USERS), parameters)


@dataclass(frozen=True)
class Case:
    """One list request of the benchmark (its query string); ``near_end`` pages by cursor from 40 rows
    before the end. ``subject`` names the list: products, or the admin's users."""

    label: str
    params: dict[str, str]
    near_end: bool = False
    subject: str = "products"

    @property
    def query(self) -> Any:
        """The use case's query for these parameters (what the handler builds from them)."""
        return SUBJECTS[self.subject].query(self.params)


def product_query(p: dict[str, str]) -> ProductQuery:
    """What ListProducts builds from a query string."""
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


def user_query(p: dict[str, str]) -> UserQuery:
    """What AdminListUsers builds from a query string."""
    return UserQuery(
        limit=int(p.get("limit", "20")),
        offset=int(p.get("offset", "0")),
        sort=p.get("sort", "created_at"),
        order="asc" if p.get("order") == "asc" else "desc",
        status=UserStatus(p["status"]) if "status" in p else None,
        role=Role(p["role"]) if "role" in p else None,
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


def user_cases() -> list[Case]:
    """The admin users list: every sort x order and filter, searches, cursor pages near the end (last_login_at
    in both orders: its end is users who never signed in, or the latest sign-ins), the deepest offset."""

    def case(label: str, params: dict[str, str], near_end: bool = False) -> Case:
        return Case(f"users: {label}", params, near_end, "users")

    found = [
        case(f"sort={s}&order={o}", {"sort": s, "order": o})
        for s in ("created_at", "updated_at", "email", "username", "last_login_at")
        for o in ("asc", "desc")
    ]
    found += [
        case("status=banned (5%)", {"status": "banned"}),
        case("role=admin (1%)", {"role": "admin"}),
        case("role=admin&sort=last_login_at&order=desc", {"role": "admin", "sort": "last_login_at", "order": "desc"}),
        case("q=zzz (no match)", {"q": "zzz"}),
        case("q=founder (20 rows at every size)", {"q": "founder"}),
        case("q=ada (5%)", {"q": "ada"}),
        case("q=example (25%)", {"q": "example"}),
        case("q=ada lovelace (0.2%)", {"q": "ada lovelace"}),
        case("q=ada&status=banned (0.25%)", {"q": "ada", "status": "banned"}),
        case("cursor near end, created_at desc", {}, near_end=True),
        case("cursor near end, email asc", {"sort": "email", "order": "asc"}, near_end=True),
        case("cursor near end, last_login_at desc", {"sort": "last_login_at", "order": "desc"}, near_end=True),
        case("cursor near end, last_login_at asc", {"sort": "last_login_at", "order": "asc"}, near_end=True),
        case("offset=9700, created_at desc", {"offset": "9700"}),
        case("offset=9700, last_login_at desc", {"offset": "9700", "sort": "last_login_at"}),
    ]
    return found


@dataclass(frozen=True)
class Subject:
    """One list the benchmark measures: its handler and sample event, how its rows are loaded and analysed,
    its statements, and the scope of its remembered totals."""

    handler: str
    sample: str
    tables: tuple[str, ...]
    load: Any
    query: Any
    statements: str  # the repository module with page_statement and from_row
    totals: str  # the use case module with totals_scope

    def page_statement(self, tenant: UUID, query: Any, after: Keyset | None = None, *, counted: bool = True) -> Any:
        """The repository's page statement of ``query``."""
        module = importlib.import_module(self.statements)
        return module.page_statement(tenant, query, after, counted=counted)

    def keyset_of_row(self, row: Any, query: Any) -> Keyset:
        """Where a stored row stands in ``query``'s order."""
        return query.keyset_of(importlib.import_module(self.statements).from_row(row))

    def scope(self, tenant: UUID) -> str:
        """The totals memo's scope of the tenant's list."""
        return str(importlib.import_module(self.totals).totals_scope(tenant))


SUBJECTS = {
    "products": Subject(
        "products.list_products.handler",
        "products/list_products.json",
        ("PRODUCTS", "PRODUCT_SEARCH_TERMS"),
        load_products,
        product_query,
        "storefront.adapters.db.products",
        "storefront.application.products",
    ),
    "users": Subject(
        "admin.list_users.handler",
        "admin/list_users.json",
        ("USERS", "USER_SEARCH_TERMS"),
        load_users,
        user_query,
        "storefront.adapters.db.users",
        "storefront.application.user_queries",
    ),
}


def fresh_database(url: str) -> Engine:
    """Drop and create the benchmark database, migrate it, and return an engine on it."""
    from localdev.stack import migrate

    drop_database(url)
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        # Storage is SSD (as on RDS/Aurora): a random page read costs about what a sequential one does.
        connection.exec_driver_sql(f'ALTER DATABASE "{target.database}" SET random_page_cost = {RANDOM_PAGE_COST}')
    admin.dispose()
    migrate(url)
    return create_engine(url, pool_size=1)


def drop_database(url: str) -> None:
    """Drop the benchmark database (its sessions ended first)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


@contextlib.contextmanager
def private_database(url: str) -> Iterator[str]:
    """``url``'s database created empty and migrated (whatever an earlier run left in it), dropped on the way out:
    every run starts from the same state and leaves nothing behind."""
    fresh_database(url).dispose()
    try:
        yield url
    finally:
        drop_database(url)


def analyze(engine: Engine) -> None:
    """VACUUM ANALYZE: planner statistics and the visibility map (index-only scans) after a bulk load; then a
    CHECKPOINT, so the load's dirty pages are not written out while the next size is being measured."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for subject in SUBJECTS.values():
            for table in subject.tables:
                connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
        connection.exec_driver_sql("CHECKPOINT")


def keyset_near_end(connection: Connection, tenant: UUID, case: Case, rows_before_end: int = 40) -> Keyset:
    """The keyset of the row ``rows_before_end`` from the end of the case's list (read from the reversed list)."""
    subject = SUBJECTS[case.subject]
    reversed_order = "asc" if case.query.order == "desc" else "desc"
    reverse = subject.query({**case.params, "order": reversed_order, "limit": "1", "offset": str(rows_before_end)})
    row = connection.execute(subject.page_statement(tenant, reverse, counted=False)).first()
    assert row is not None
    return subject.keyset_of_row(row, case.query)


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
    after = keyset_near_end(connection, tenant, case) if case.near_end else None
    return SUBJECTS[case.subject].page_statement(tenant, case.query, after, counted=counted), after


def _with_cursor(case: Case, tenant: UUID, after: Keyset | None) -> Case:
    """The case with the cursor of ``after`` among its parameters (unchanged when there is none)."""
    if after is None:
        return case
    return replace(case, params={**case.params, "cursor": case.query.listing(tenant).cursor(after)})


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


def list_event(params: dict[str, str], tenant: UUID = TENANT, subject: str = "products") -> dict[str, Any]:
    """An API Gateway event of the subject's list (GET /products or GET /admin/users) of ``tenant`` with
    ``params`` as its query string."""
    evt: dict[str, Any] = json.loads((ROOT / "events" / SUBJECTS[subject].sample).read_text())
    evt["queryStringParameters"] = dict(params) or None
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
    evt["requestContext"]["authorizer"]["tenant_id"] = str(tenant)
    return evt


def forget_totals(tenant: UUID, subject: str = "products") -> None:
    """What a write does to the tenant's remembered list totals (and what a bulk load must do)."""
    from storefront import bootstrap

    bootstrap.list_totals().forget(SUBJECTS[subject].scope(tenant))


def time_handler(
    events: dict[int, dict[str, Any]], runs: int, *, counting: bool, subject: str = "products"
) -> dict[int, float]:
    """Median milliseconds per size of the subject's warm list handler for each size's event:
    what a client waits for behind the gateway (validation, use case, envelope, JSON, logs and metrics).

    The sizes take turns, call by call (in a rotating order), so a slow spell of the machine lands on
    every size alike instead of on whichever size was being measured then. ``counting``: the tenant's
    remembered totals are forgotten (untimed) before each call, as after a write, so every call counts
    its matches (the first request after a change); otherwise the count is remembered.
    """
    from localdev.runtime import LambdaContext, load_handler

    handler = load_handler(SUBJECTS[subject].handler)
    sizes = list(events)
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    gc.collect()
    gc.disable()  # as timeit does: a collection would land on whichever call crosses its threshold
    try:
        for run in range(runs + 2):
            for size in sizes[run % len(sizes) :] + sizes[: run % len(sizes)]:
                evt = events[size]
                if counting:
                    forget_totals(UUID(evt["requestContext"]["authorizer"]["tenant_id"]), subject)
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
        events[size] = list_event(_with_cursor(case, tenant, after).params, tenant, case.subject)
    entry.counting_ms = time_handler(events, runs, counting=True, subject=case.subject)
    entry.handler_ms = time_handler(events, runs, counting=False, subject=case.subject)
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
        for name, subject in SUBJECTS.items():
            for size in sizes:
                started = time.perf_counter()
                with engine.begin() as connection:
                    subject.load(connection, tenant_of(size), 0, size)
                print(f"loaded {size} {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        analyze(engine)
        for name in SUBJECTS:
            for size in sizes:
                forget_totals(tenant_of(size), name)  # rows loaded behind the application's back
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's log and metric lines
            for case in [*cases(), *user_cases()]:
                results[case.label] = measure(engine, case, sizes, runs)
    finally:
        engine.dispose()
        bootstrap.engine().dispose()
        bootstrap.reset()
    report = table(results, sizes)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Lists: one tenant's products, and one tenant's users as an admin lists them, on PostgreSQL\n\n"
        "`python -m benchmarks.lists`: medians in ms per size; each size is one tenant's rows (10k, 100k "
        "and 1M tenants side by side in one database, as tenants share tables in production), measured call "
        "by call in turn so that a slow spell of the machine cannot favour one size. The first columns and "
        "the ratio are the warm list handler (`products.list_products.handler`, or "
        "`admin.list_users.handler` for the rows labelled users) called with an API Gateway event (what a "
        "client waits for behind the gateway), with the list's capped total remembered in Redis (every request "
        "but the first after a write to the tenant's catalogue or users); 'counting' is the same handler when "
        "it counts the matches (the tenant's totals forgotten before each call, as a write does); SQL is the "
        "server's execution time (EXPLAIN ANALYZE, its per-node timing included) of the page alone and, at the "
        "largest size, of the page with its capped count; 'seq scan' names any table a plan scans "
        "sequentially.\n\n" + report + "\n"
    )
    bad = {label: m.seq_scans for label, m in results.items() if m.seq_scans}
    if bad:
        raise SystemExit(f"sequential scans in: {bad}")
    return results


if __name__ == "__main__":
    main()
