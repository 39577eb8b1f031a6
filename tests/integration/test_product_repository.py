"""The product repository and unit of work, the same tests on SQLite, PostgreSQL (and Oracle with ORACLE_DSN)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, select

from storefront.adapters.db.products import count_statement
from storefront.adapters.db.tables import PRODUCT_SEARCH_TERMS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application.queries import ProductQuery
from storefront.domain.errors import Conflict
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductStatus
from tests.conftest import details

T0 = datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=UTC)


def stored(engine: Engine, tenant: UUID, n: int = 0, **overrides: object) -> Product:
    values: dict[str, object] = {"sku": f"SKU-{n}", "name": f"Item {n}", **overrides}
    product = Product.create(tenant, details(**values), "tester", T0 + timedelta(seconds=n))
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(product)
        uow.commit()
    return product


def get(engine: Engine, tenant: UUID, product_id: UUID) -> Product | None:
    with SqlUnitOfWork(engine) as uow:
        return uow.products.get(tenant, product_id)


def search(engine: Engine, tenant: UUID, **query: object) -> tuple[list[Product], int]:
    with SqlUnitOfWork(engine) as uow:
        window = uow.products.search(tenant, ProductQuery(**query))  # type: ignore[arg-type]
    return window.rows, window.matches


def test_a_product_round_trips_exactly(engine):
    tenant = uuid4()
    product = stored(engine, tenant, price=Money(Decimal("1234.50"), "USD"), description="", category=None)
    assert get(engine, tenant, product.id) == product


def test_optional_text_round_trips_as_written(engine):
    tenant = uuid4()
    product = stored(engine, tenant, description="Ünïcödé – 茶", category="Tea & Co")
    assert get(engine, tenant, product.id) == product


def test_tenants_are_isolated(engine):
    product = stored(engine, uuid4())
    assert get(engine, uuid4(), product.id) is None
    assert search(engine, uuid4()) == ([], 0)


def test_a_sku_is_unique_per_tenant_only(engine):
    tenant = uuid4()
    stored(engine, tenant)
    with pytest.raises(Conflict):
        stored(engine, tenant)
    stored(engine, uuid4())


def test_without_commit_nothing_is_kept(engine):
    tenant = uuid4()
    product = Product.create(tenant, details(), "tester", T0)
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(product)
    assert get(engine, tenant, product.id) is None


def test_an_error_inside_the_unit_rolls_back(engine):
    tenant = uuid4()
    product = Product.create(tenant, details(), "tester", T0)

    def add_then_fail() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.products.add(product)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    assert get(engine, tenant, product.id) is None


def test_update_checks_the_version(engine):
    tenant = uuid4()
    product = stored(engine, tenant)
    revised = product.revise(details(name="Renamed", sku=product.details.sku), "editor", T0 + timedelta(minutes=1))
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.update(revised, expected_version=1) is True
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.update(revised, expected_version=1) is False
    assert get(engine, tenant, product.id) == revised


def test_two_writers_of_the_same_version_cannot_both_win(engine):
    tenant = uuid4()
    product = stored(engine, tenant)
    first = product.revise(replace(product.details, stock=1), "a", T0)
    second = product.revise(replace(product.details, stock=2), "b", T0)
    with SqlUnitOfWork(engine) as uow_a, SqlUnitOfWork(engine) as uow_b:
        assert uow_a.products.update(first, 1) is True
        uow_a.commit()
        assert uow_b.products.update(second, 1) is False
    found = get(engine, tenant, product.id)
    assert found is not None
    assert found.details.stock == 1


def test_soft_deleted_products_are_gone_but_kept(engine):
    tenant = uuid4()
    product = stored(engine, tenant)
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.update(product.delete("remover", T0), 1)
        uow.commit()
    assert get(engine, tenant, product.id) is None
    assert search(engine, tenant) == ([], 0)
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.update(product.revise(product.details, "x", T0), 2) is False


def test_filters(engine):
    tenant = uuid4()
    cheap = stored(engine, tenant, 1, price=Money(Decimal("5.00"), "EUR"), category="Kitchen")
    mid = stored(
        engine, tenant, 2, price=Money(Decimal("50.00"), "EUR"), category="Garden", status=ProductStatus.INACTIVE
    )
    dear = stored(engine, tenant, 3, price=Money(Decimal("500.00"), "EUR"), category="Kitchen")

    def ids(**query: object) -> list[UUID]:
        return [p.id for p in search(engine, tenant, sort="price", order="asc", **query)[0]]

    assert ids(status=ProductStatus.INACTIVE) == [mid.id]
    assert ids(category="Kitchen") == [cheap.id, dear.id]
    assert ids(min_price=Decimal("10")) == [mid.id, dear.id]
    assert ids(max_price=Decimal("50.00")) == [cheap.id, mid.id]
    assert ids(min_price=Decimal("6"), max_price=Decimal("499.99")) == [mid.id]
    assert ids(text="ITEM 3") == [dear.id]


SEARCHABLE = [
    "Cast-iron tea pot",
    "Teacup with potholder",
    "Teapot stand",
    "Grüner TEE",
    "100% cotton",
    "snake_case mug",
]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("tea", ["Cast-iron tea pot"]),
        ("tea pot", ["Cast-iron tea pot"]),
        ("pot tea", ["Cast-iron tea pot"]),
        ("TEAPOT", ["Teapot stand"]),
        ("teacup potholder", ["Teacup with potholder"]),
        ("teacup pot", []),
        ("iron", ["Cast-iron tea pot"]),
        ("grü", []),
        ("GRÜNER tee", ["Grüner TEE"]),
        ("100%", ["100% cotton"]),
        ("0%", []),
        ("case", ["snake_case mug"]),
        ("e_c", []),
        ("xyz", []),
    ],
)
def test_q_is_a_whole_word_search_over_the_name(engine, q, found):
    tenant = uuid4()
    for n, name in enumerate(SEARCHABLE):
        stored(engine, tenant, n, name=name)
    rows, matches = search(engine, tenant, text=q, sort="sku", order="asc", limit=100)
    assert sorted(p.details.name for p in rows) == sorted(found)
    assert matches == len(found)


@pytest.mark.parametrize("extra", [{}, {"status": ProductStatus.ACTIVE}, {"category": "Kitchen"}])
@pytest.mark.parametrize("q", ["tea", "tea teapot", "teapot tea teacup"])
def test_a_search_counts_each_product_once(engine, q, extra):
    tenant = uuid4()
    twice = stored(engine, tenant, 1, name="Tea teapot, tea TEACUP and tea", category="Kitchen")
    stored(engine, tenant, 2, name="Teapot teacup", category="Kitchen")
    rows, matches = search(engine, tenant, text=q, limit=1, **extra)
    assert ([p.id for p in rows], matches) == ([twice.id], 1)


def test_a_search_count_reads_only_the_search_terms():
    alone = str(count_statement(uuid4(), ProductQuery(text="blue teapot")))
    assert '"PRODUCTS"' not in alone
    assert 'FROM "PRODUCT_SEARCH_TERMS" JOIN "PRODUCT_SEARCH_TERMS" AS "TERMS_0"' in alone
    filtered = str(count_statement(uuid4(), ProductQuery(text="blue teapot", status=ProductStatus.ACTIVE)))
    assert '"PRODUCTS"' in filtered


def test_search_terms_follow_renames_and_deletes(engine):
    tenant = uuid4()
    product = stored(engine, tenant, name="Teapot stand")
    with SqlUnitOfWork(engine) as uow:
        current = uow.products.get(tenant, product.id)
        assert current is not None
        assert uow.products.update(current.revise(replace(current.details, name="Copper kettle"), "x", T0), 1)
        uow.commit()
    assert [p.id for p in search(engine, tenant, text="kettle")[0]] == [product.id]
    assert search(engine, tenant, text="teapot")[0] == []
    renamed = get(engine, tenant, product.id)
    assert renamed is not None
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.update(renamed.delete("x", T0), 2)
        uow.commit()
    with engine.connect() as connection:
        left = connection.execute(select(PRODUCT_SEARCH_TERMS).where(PRODUCT_SEARCH_TERMS.c.PRODUCT_ID == product.id))
        assert left.all() == []


@pytest.mark.parametrize("sort", ["created_at", "updated_at", "name", "sku", "price", "stock"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorting_and_paging(engine, sort, order):
    tenant = uuid4()
    made = [stored(engine, tenant, n, price=Money(Decimal(f"{10 - n}.00"), "EUR"), stock=n * 3 % 5) for n in range(5)]
    key = {
        "created_at": lambda p: p.created_at,
        "updated_at": lambda p: p.updated_at,
        "name": lambda p: p.details.name,
        "sku": lambda p: p.details.sku,
        "price": lambda p: p.details.price.amount,
        "stock": lambda p: p.details.stock,
    }[sort]
    expected = sorted(made, key=lambda p: (key(p), p.id), reverse=order == "desc")
    rows, matches = search(engine, tenant, sort=sort, order=order, limit=2, offset=1)
    assert matches == 5
    assert [p.id for p in rows] == [p.id for p in expected[1:4]], "the page and one row more (has_next)"


def test_changing_a_sku_to_a_taken_one_conflicts(engine):
    tenant = uuid4()
    stored(engine, tenant, 1)
    second = stored(engine, tenant, 2)
    renamed = second.revise(replace(second.details, sku="SKU-1"), "editor", T0)
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.products.update(renamed, 1)
