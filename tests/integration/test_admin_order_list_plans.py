"""PostgreSQL plans of every admin orders list the benchmark times: an index serves each, no table is scanned.

Two tenants of 20,000 orders each (generate_series, the benchmark's loader), analysed, default planner costs.
The benchmark (`python -m benchmarks.admin_orders`) checks the same at 10k, 100k and 1M orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from benchmarks.admin_orders import TABLES, Case, cases, customer, load_orders, page_statement
from benchmarks.lists import _nodes, plan_of, sequential_scans
from sqlalchemy import Engine, create_engine, text

TENANT = UUID("0b0b0b0b-0000-4000-8000-0000000000e5")
NEIGHBOUR = UUID("0b0b0b0b-0000-4000-8000-0000000000f6")
ROWS = 20_000


@pytest.fixture(scope="module")
def loaded(postgresql_url: str) -> Iterator[Engine]:
    engine = create_engine(postgresql_url)
    with engine.begin() as connection:
        load_orders(connection, TENANT, 0, ROWS)
        load_orders(connection, NEIGHBOUR, 0, ROWS)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:
            # The plans must see the statistics of this load alone (see test_product_list_plans).
            connection.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    yield engine
    engine.dispose()


@pytest.mark.parametrize("counted", [True, False], ids=["page and count", "page alone"])
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.label)
def test_no_admin_order_list_scans_a_table(loaded: Engine, case: Case, counted: bool) -> None:
    with loaded.connect() as connection:
        plan = plan_of(connection, page_statement(TENANT, case, counted=counted))
    assert sequential_scans(plan) == [], plan


@pytest.mark.parametrize(
    ("case", "index"),
    [
        (Case("newest", {}), "IX_ORDERS_ADMIN_CREATED_AT"),
        (Case("last changed", {"sort": "updated_at"}), "IX_ORDERS_ADMIN_UPDATED_AT"),
        (Case("dearest", {"sort": "total"}), "IX_ORDERS_ADMIN_TOTAL"),
        (Case("to ship", {"status": "CONFIRMED", "order": "asc"}), "IX_ORDERS_ADMIN_STATUS"),
    ],
    ids=lambda v: v.label if isinstance(v, Case) else v,
)
def test_each_sort_and_the_status_filter_read_their_index_in_order(loaded: Engine, case: Case, index: str) -> None:
    """The page walks its index and stops after a page: no sort node over the tenant's orders."""
    with loaded.connect() as connection:
        plan = plan_of(connection, page_statement(TENANT, case, counted=False))
    nodes = list(_nodes(plan["Plan"]))
    # IX_ORDERS_SYNC (TENANT_ID, UPDATED_AT, ID; migration 0011, every row) walks the same order as the admin's
    # last-changed index: the planner may take either.
    serving = {index, "IX_ORDERS_SYNC"} if index == "IX_ORDERS_ADMIN_UPDATED_AT" else {index}
    assert serving & {n.get("Index Name") for n in nodes}, plan
    assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")], plan


def test_the_loader_gives_the_cases_their_rows(loaded: Engine) -> None:
    with loaded.connect() as connection:
        mine = text('SELECT count(*) FROM "ORDERS" WHERE "TENANT_ID" = :t AND "USER_ID" = :u AND "DELETED_AT" IS NULL')
        assert connection.execute(mine, {"t": TENANT, "u": customer(TENANT, 7)}).scalar_one() > 0
        statuses = text('SELECT "STATUS", count(*) FROM "ORDERS" WHERE "TENANT_ID" = :t GROUP BY "STATUS"')
        found: dict[str, int] = {row[0]: row[1] for row in connection.execute(statuses, {"t": TENANT})}
    assert found["DELIVERED"] == ROWS * 72 // 100
    assert found["PENDING"] == found["RESERVED"] == ROWS // 100


def test_the_admin_indexes_are_partial(loaded: Engine) -> None:
    with loaded.connect() as connection:
        definitions = connection.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'IX_ORDERS_ADMIN_%%'"
            " AND schemaname = current_schema()"
        ).all()
    assert len(definitions) == 4
    assert all(d.indexdef.endswith('WHERE ("DELETED_AT" IS NULL)') for d in definitions), definitions
