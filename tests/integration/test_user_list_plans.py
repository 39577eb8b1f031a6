"""PostgreSQL plans of every admin users list the benchmark times: an index serves each, no table is scanned.

Two tenants of 20,000 users each (generate_series, the benchmark's loader), analysed, default planner costs.
The benchmark (`python -m benchmarks.lists`) checks the same at 10k, 100k and 1M rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from benchmarks.lists import Case, _nodes, load_users, plan_of, sequential_scans, statement_for, user_cases
from sqlalchemy import Engine, create_engine

from storefront.domain.users import Identity, search_terms

TENANT = UUID("0b0b0b0b-0000-4000-8000-0000000000c3")
NEIGHBOUR = UUID("0b0b0b0b-0000-4000-8000-0000000000d4")
ROWS = 20_000


@pytest.fixture(scope="module")
def loaded(postgresql_url: str) -> Iterator[Engine]:
    engine = create_engine(postgresql_url)
    with engine.begin() as connection:
        load_users(connection, TENANT, 0, ROWS)
        load_users(connection, NEIGHBOUR, 0, ROWS)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("USERS", "USER_SEARCH_TERMS"):
            # The plans must see the statistics of this load alone: no autovacuum re-sampling the tables while
            # other tests of the session (or a loaded machine) write to them.
            connection.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    yield engine
    engine.dispose()


@pytest.mark.parametrize("counted", [True, False], ids=["page and count", "page alone"])
@pytest.mark.parametrize("case", user_cases(), ids=lambda c: c.label)
def test_no_users_list_scans_a_table(loaded: Engine, case: Case, counted: bool) -> None:
    with loaded.connect() as connection:
        statement, _ = statement_for(connection, TENANT, case, counted=counted)
        plan = plan_of(connection, statement)
    assert sequential_scans(plan) == [], plan


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_last_login_pages_read_two_ranges_of_its_index_and_sort_no_table(loaded: Engine, order: str) -> None:
    case = Case("x", {"sort": "last_login_at", "order": order}, subject="users")
    with loaded.connect() as connection:
        statement, _ = statement_for(connection, TENANT, case, counted=False)
        plan = plan_of(connection, statement, analyze_it=True)
    nodes = list(_nodes(plan["Plan"]))
    ranges = [n for n in nodes if n.get("Index Name") == "IX_USERS_LIST_LAST_LOGIN_AT"]
    assert len(ranges) == 2, plan
    assert all(n["Actual Rows"] <= 21 for n in ranges), "each part reads no further than the page"


def test_the_loader_writes_the_terms_the_repository_would(loaded: Engine) -> None:
    with loaded.connect() as connection:
        rows = connection.exec_driver_sql(
            'SELECT u."EMAIL", u."USERNAME", u."FULL_NAME", array_agg(t."TERM" ORDER BY t."TERM") FROM "USERS" u'
            ' JOIN "USER_SEARCH_TERMS" t ON t."USER_ID" = u."ID" AND t."USER_CREATED_AT" = u."CREATED_AT"'
            ' WHERE u."TENANT_ID" = %(tenant)s GROUP BY u."ID" ORDER BY u."CREATED_AT" LIMIT 200',
            {"tenant": TENANT},
        ).all()
    assert len(rows) == 200
    assert all(sorted(search_terms(Identity(email, name, full))) == terms for email, name, full, terms in rows)
