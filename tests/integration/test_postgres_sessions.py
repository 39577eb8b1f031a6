"""PostgreSQL sessions plan every statement for its parameters: tenants differ in size by orders of magnitude."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import Engine, text

from storefront.adapters.db.engine import build_engine
from tests.integration.conftest import database_settings


@pytest.fixture
def postgresql_engine(postgresql_url: str) -> Iterator[Engine]:
    engine = build_engine(postgresql_url, database_settings(postgresql_url))
    yield engine
    engine.dispose()


def test_sessions_force_custom_plans_and_keep_the_urls_own_options(postgresql_engine: Engine) -> None:
    with postgresql_engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
        assert str(connection.exec_driver_sql("SHOW search_path").scalar()).startswith("storefront_test_")


def test_a_statement_prepared_on_the_server_is_never_given_a_generic_plan(postgresql_engine: Engine) -> None:
    statement = text('SELECT count(*) FROM "PRODUCTS" WHERE "TENANT_ID" = :tenant')
    with postgresql_engine.connect() as connection:
        for _ in range(12):  # psycopg prepares it on the server from the fifth run on
            connection.execute(statement, {"tenant": "00000000-0000-4000-8000-000000000099"}).scalar()
        plans = connection.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'SELECT count(*) FROM \"PRODUCTS\"%%'"
        ).one()
    assert plans.generic_plans == 0
    assert plans.custom_plans >= 6


def test_a_bulk_load_plans_its_foreign_key_probes_once_for_its_transaction_only(postgresql_engine: Engine) -> None:
    # A COPY checks one foreign key per row; with custom plans each probe would be planned again (issue 8: half
    # the time of a 1000-product batch). The bulk load's transaction uses generic plans; the session keeps its own.
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork
    from tests.integration.test_product_services import made

    with SqlUnitOfWork(postgresql_engine) as unit:
        assert unit.read(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        unit.products.add_many([made(uuid4(), n) for n in range(3)])
        assert unit.read(text("SHOW plan_cache_mode")).scalar() == "auto"
        unit.commit()
    with postgresql_engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
