"""PostgreSQL plans of the admin's figures: each statement over the last 30 days is served by indexes, no table
is read sequentially. 20,000 orders of one tenant over a year (the benchmark's generate_series loader), next to a
neighbour tenant, analysed; random_page_cost as the benchmark database sets it (SSD storage, as on RDS: with the
spinning-disk default, hashing a small table whole is rightly cheaper than 1,600 index probes). `make bench`
(benchmarks/reports.py) checks the same at 1M."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from benchmarks.lists import RANDOM_PAGE_COST, load_products, load_users
from benchmarks.reports import TABLES, load_orders, scanned_tables
from sqlalchemy import Engine, create_engine, event

TENANT = UUID("0b0b0b0b-0000-4000-8000-00000000a9e5")  # tenants of their own: other plan tests load theirs
NEIGHBOUR = UUID("0b0b0b0b-0000-4000-8000-00000000a9f6")
ORDERS = 20_000


@pytest.fixture(scope="module")
def loaded(postgresql_url: str) -> Iterator[Engine]:
    engine = create_engine(postgresql_url)
    event.listen(engine, "connect", _ssd_costs)
    with engine.begin() as connection:
        for tenant in (TENANT, NEIGHBOUR):
            load_users(connection, tenant, 0, ORDERS // 20)
            load_products(connection, tenant, 0, ORDERS // 10)
            load_orders(connection, tenant, 0, ORDERS, users=ORDERS // 20, products=ORDERS // 10)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in TABLES:
            # The plans must see the statistics of this load alone (see test_product_list_plans).
            connection.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            connection.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    yield engine
    engine.dispose()


def _ssd_costs(connection: Any, _: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET random_page_cost = {RANDOM_PAGE_COST}")


def test_no_figure_scans_a_table(loaded: Engine) -> None:
    scans = scanned_tables(loaded, TENANT, datetime.now(UTC))
    assert len(scans) == 8
    assert {label: tables for label, tables in scans.items() if tables} == {}


def test_the_report_indexes_are_partial_where_rows_are_soft_deleted(loaded: Engine) -> None:
    with loaded.connect() as connection:
        definitions: dict[str, str] = dict(
            connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN"
                " ('IX_ORDERS_REPORTS', 'IX_ORDERS_ADMIN_STATUS', 'IX_USERS_STATS') AND schemaname = current_schema()"
            ).all()
        )
    assert len(definitions) == 3
    assert all(d.endswith('WHERE ("DELETED_AT" IS NULL)') for d in definitions.values()), definitions
