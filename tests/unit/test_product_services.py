"""The product service use cases against the fakes: batch, bulk update and sync."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from storefront.application.product_services import (
    ProductChange,
    batch_create_products,
    bulk_update_products,
    sync_products,
)
from storefront.application.products import cache_key
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.products import Product
from tests.conftest import details


def test_a_sku_taken_in_the_tenant_even_by_a_deleted_product_fails_that_item_only(catalog, admin):
    deleted = Product.create(admin.tenant_id, details(sku="OLD"), "seed", catalog.clock.now())
    catalog.repository.add(replace(deleted, deleted_at=catalog.clock.now()))
    results = batch_create_products(catalog.ports, admin, [details(sku="OLD"), details(sku="NEW")])
    assert [r.status for r in results] == ["failed", "created"]
    assert results[0].error is not None
    assert results[0].error.code.value == "BIZ_002"


def test_the_same_sku_in_another_tenant_is_free(catalog, admin):
    other = Product.create(uuid4(), details(sku="SHARED"), "seed", catalog.clock.now())
    catalog.repository.add(other)
    assert [r.status for r in batch_create_products(catalog.ports, admin, [details(sku="SHARED")])] == ["created"]


def test_a_batch_of_only_failures_writes_nothing(catalog, admin):
    refused = ValidationFailed.single("sku", ErrorCode.REQUIRED, "is required")
    results = batch_create_products(catalog.ports, admin, [details(sku=""), refused])
    assert [r.status for r in results] == ["failed", "failed"]
    assert catalog.units == []
    assert catalog.repository.rows == {}


def test_a_bulk_update_that_moves_a_sku_onto_a_taken_one_fails_that_item(catalog, admin):
    first = Product.create(admin.tenant_id, details(sku="ONE"), "seed", catalog.clock.now())
    second = Product.create(admin.tenant_id, details(sku="TWO"), "seed", catalog.clock.now())
    catalog.repository.add(first)
    catalog.repository.add(second)
    catalog.cache.set(cache_key(admin.tenant_id, first.id), b"stale", 60)
    results = bulk_update_products(
        catalog.ports,
        admin,
        [ProductChange(first.id, 1, {"name": "Renamed"}), ProductChange(second.id, 1, {"sku": "ONE"})],
    )
    assert [r.status for r in results] == ["updated", "failed"]
    assert catalog.repository.rows[second.id].details.sku == "TWO"
    assert catalog.cache.get(cache_key(admin.tenant_id, first.id)) is None  # the updated product is not served stale


def test_a_deleted_product_cannot_be_bulk_updated(catalog, admin):
    product = Product.create(admin.tenant_id, details(), "seed", catalog.clock.now())
    catalog.repository.add(product.delete("seed", catalog.clock.now()))
    (result,) = bulk_update_products(catalog.ports, admin, [ProductChange(product.id, 2, {"stock": 1})])
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.code.value == "BIZ_001"


def test_sync_leaves_changes_younger_than_the_lag_for_a_later_page(catalog, admin):
    old = Product.create(admin.tenant_id, details(sku="OLD"), "seed", catalog.clock.now())
    catalog.repository.add(old)
    catalog.clock.advance(30)
    young = Product.create(admin.tenant_id, details(sku="YOUNG"), "seed", catalog.clock.now())
    catalog.repository.add(young)
    catalog.clock.advance(5)
    page = sync_products(catalog.ports, admin.tenant_id, None, 10, lag_seconds=10)
    assert [p.id for p in page.items] == [old.id]
    catalog.clock.advance(10)
    later = sync_products(catalog.ports, admin.tenant_id, page.next_cursor, 10, lag_seconds=10)
    assert [p.id for p in later.items] == [young.id]


def test_sync_pages_through_rows_stamped_alike_without_gap_or_repeat(catalog, admin):
    made = batch_create_products(catalog.ports, admin, [details(sku=f"S{i}") for i in range(25)])
    seen, cursor = [], None
    while True:
        page = sync_products(catalog.ports, admin.tenant_id, cursor, 7, lag_seconds=0)
        seen += [p.id for p in page.items]
        if page.next_cursor is None:
            break
        assert page.has_next == (len(seen) < 25)
        cursor = page.next_cursor
    assert sorted(seen, key=str) == sorted((r.id for r in made), key=str)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("limit", [0, 101])
def test_sync_limit_is_1_to_100(catalog, admin, limit):
    with pytest.raises(ValidationFailed):
        sync_products(catalog.ports, admin.tenant_id, None, limit, lag_seconds=0)


def test_a_cursor_of_another_tenant_is_refused(catalog, admin):
    catalog.repository.add(Product.create(admin.tenant_id, details(), "seed", catalog.clock.now()))
    page = sync_products(catalog.ports, admin.tenant_id, None, 10, lag_seconds=0)
    with pytest.raises(ValidationFailed) as refused:
        sync_products(catalog.ports, uuid4(), page.next_cursor, 10, lag_seconds=0)
    assert refused.value.errors[0].field == "cursor"
