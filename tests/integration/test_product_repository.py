"""The product repository and unit of work, the same tests on SQLite, PostgreSQL (and Oracle with ORACLE_DSN)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine

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
        return uow.products.search(tenant, ProductQuery(**query))  # type: ignore[arg-type]


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


def test_text_search_treats_wildcards_literally(engine):
    tenant = uuid4()
    percent = stored(engine, tenant, 1, name="100% cotton")
    stored(engine, tenant, 2, name="1000 cotton")
    underscore = stored(engine, tenant, 3, name="snake_case mug")
    stored(engine, tenant, 4, name="snakeXcase mug")
    assert [p.id for p in search(engine, tenant, text="0%")[0]] == [percent.id]
    assert [p.id for p in search(engine, tenant, text="e_c")[0]] == [underscore.id]


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
    expected = sorted(made, key=lambda p: (key(p), p.id.hex), reverse=False)
    if order == "desc":
        expected = sorted(made, key=lambda p: key(p), reverse=True)
    page, total = search(engine, tenant, sort=sort, order=order, limit=2, offset=1)
    assert total == 5
    assert [key(p) for p in page] == [key(p) for p in expected[1:3]]


def test_changing_a_sku_to_a_taken_one_conflicts(engine):
    tenant = uuid4()
    stored(engine, tenant, 1)
    second = stored(engine, tenant, 2)
    renamed = second.revise(replace(second.details, sku="SKU-1"), "editor", T0)
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.products.update(renamed, 1)
