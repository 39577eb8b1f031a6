"""PostgreSQL plans of every product list the benchmark times: an index serves each, no table is scanned.

Two tenants of 20,000 products each (generate_series, the benchmark's loader), analysed, default planner
costs. The benchmark (`python -m benchmarks.lists`) checks the same at 10k, 100k and 1M rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from benchmarks.lists import Case, _nodes, cases, load_products, plan_of, sequential_scans, statement_for
from sqlalchemy import Engine, create_engine

from storefront.domain.search import search_words

TENANT = UUID("0b0b0b0b-0000-4000-8000-0000000000a1")
NEIGHBOUR = UUID("0b0b0b0b-0000-4000-8000-0000000000b2")
ROWS = 20_000


@pytest.fixture(scope="module")
def loaded(postgresql_url: str) -> Iterator[Engine]:
    engine = create_engine(postgresql_url)
    with engine.begin() as connection:
        load_products(connection, TENANT, 0, ROWS)
        load_products(connection, NEIGHBOUR, 0, ROWS)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("PRODUCTS", "PRODUCT_SEARCH_TERMS"):
            # The plans must see the statistics of this load alone: no autovacuum re-sampling the tables while
            # other tests of the session (or a loaded machine) write to them.
            connection.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    yield engine
    engine.dispose()


@pytest.mark.parametrize("counted", [True, False], ids=["page and count", "page alone"])
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.label)
def test_no_list_scans_a_table(loaded: Engine, case: Case, counted: bool) -> None:
    with loaded.connect() as connection:
        statement, _ = statement_for(connection, TENANT, case, counted=counted)
        plan = plan_of(connection, statement)
    assert sequential_scans(plan) == [], plan


SEARCHES = [c for c in cases() if list(c.params) == ["q"] and len(c.query.words) == 1]


@pytest.mark.parametrize("case", SEARCHES, ids=lambda c: c.label)
def test_a_search_in_the_default_order_reads_its_word_in_that_order(loaded: Engine, case: Case) -> None:
    """The page walks (TENANT_ID, TERM, PRODUCT_CREATED_AT, PRODUCT_ID) and stops: no sort, no hash.

    Only one-word searches here: at 20,000 rows the planner rightly hashes two words' short lists, or
    sorts the few rows another filter leaves; the 1M-row walk is what `make bench` times.
    """
    with loaded.connect() as connection:
        statement, _ = statement_for(connection, TENANT, case, counted=False)
        plan = plan_of(connection, statement)
    nodes = list(_nodes(plan["Plan"]))
    assert "IX_PRODUCT_SEARCH_TERMS_CREATED_AT" in {n.get("Index Name") for n in nodes}, plan
    assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort", "Hash Join")], plan


def test_the_indexes_are_partial(loaded: Engine) -> None:
    with loaded.connect() as connection:
        definitions = connection.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'IX_PRODUCTS_LIST_%%'"
            " AND schemaname = current_schema()"
        ).all()
    assert len(definitions) == 8
    assert all(d.indexdef.endswith('WHERE ("DELETED_AT" IS NULL)') for d in definitions), definitions


def test_the_loader_writes_the_terms_the_repository_would(loaded: Engine) -> None:
    with loaded.connect() as connection:
        rows = connection.exec_driver_sql(
            'SELECT p."NAME", array_agg(t."TERM" ORDER BY t."TERM") FROM "PRODUCTS" p'
            ' JOIN "PRODUCT_SEARCH_TERMS" t ON t."PRODUCT_ID" = p."ID" AND t."PRODUCT_CREATED_AT" = p."CREATED_AT"'
            ' WHERE p."TENANT_ID" = %(tenant)s GROUP BY p."ID", p."NAME" LIMIT 200',
            {"tenant": TENANT},
        ).all()
    assert len(rows) == 200
    assert all(sorted(search_words(name)) == terms for name, terms in rows)
