"""The service batch benchmark's database: made afresh for every run and dropped at its end, so runs compare."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from benchmarks import services
from benchmarks.lists import private_database
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from storefront.adapters.db.tables import PRODUCTS
from tests.integration.conftest import POSTGRES_URL


def _exists(url: str) -> bool:
    admin = create_engine(make_url(url).set(database="postgres"))
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": make_url(url).database}
            ).first()
    finally:
        admin.dispose()
    return found is not None


def _products(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(PRODUCTS)).scalar_one())
    finally:
        engine.dispose()


def _add_product(url: str) -> None:
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(PRODUCTS).values(
                    ID=uuid.uuid4(), TENANT_ID=uuid.uuid4(), CREATED_AT=now, UPDATED_AT=now, CREATED_BY="bench",
                    UPDATED_BY="bench", VERSION=1, SKU="LEFT-OVER", NAME="Left over", PRICE_AMOUNT=1,
                    PRICE_CURRENCY="EUR", STOCK=0, STATUS="active",
                )
            )  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture
def url() -> str:
    return make_url(POSTGRES_URL).set(database=f"bench_test_{uuid.uuid4().hex[:10]}").render_as_string(False)


def test_every_run_starts_empty_and_leaves_no_database_behind(url: str) -> None:
    with private_database(url):
        assert _products(url) == 0
        _add_product(url)  # what a run leaves, or an earlier run killed before its end left
    assert not _exists(url)

    with private_database(url):
        _add_product(url)
        with private_database(url):  # a run starting over a database someone left: the rows are gone
            assert _products(url) == 0
    assert not _exists(url)


def _failing_run(url: str) -> None:
    with private_database(url):
        _add_product(url)
        raise RuntimeError("the run failed")


def test_the_database_is_dropped_when_the_run_fails(url: str) -> None:
    with pytest.raises(RuntimeError, match="the run failed"):
        _failing_run(url)
    assert not _exists(url)


def test_the_service_benchmark_runs_on_a_database_of_its_own() -> None:
    shared = make_url(POSTGRES_URL).database
    assert make_url(services.DATABASE).database not in (shared, "storefront_bench")
