"""Product use cases against fakes of every port."""

from uuid import uuid4

import pytest

from storefront.application import products
from storefront.application.queries import ProductQuery
from storefront.domain.errors import Conflict, NotFound, ValidationFailed
from storefront.domain.identity import Principal, Role
from tests.conftest import details


def test_create_then_get_reads_through_the_cache(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    first = products.get_product(catalog.ports, admin.tenant_id, created.id)
    second = products.get_product(catalog.ports, admin.tenant_id, created.id)
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.product == created


def test_create_commits_and_duplicate_sku_conflicts(catalog, admin):
    products.create_product(catalog.ports, admin, details())
    assert catalog.units[-1].committed
    with pytest.raises(Conflict):
        products.create_product(catalog.ports, admin, details(name="Other"))


def test_invalid_details_are_refused_before_any_write(catalog, admin):
    with pytest.raises(ValidationFailed):
        products.create_product(catalog.ports, admin, details(stock=-1))
    assert catalog.repository.rows == {}


def test_another_tenant_sees_nothing(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    stranger = uuid4()
    assert products.list_products(catalog.ports, stranger, ProductQuery()).total == 0
    with pytest.raises(NotFound):
        products.get_product(catalog.ports, stranger, created.id)


def test_a_cached_product_of_another_tenant_is_not_served(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    products.get_product(catalog.ports, admin.tenant_id, created.id)
    stranger = uuid4()
    # Same key scheme can never collide across tenants, and a decoded entry is checked against the tenant.
    catalog.cache.entries[products.cache_key(stranger, created.id)] = catalog.cache.entries[
        products.cache_key(admin.tenant_id, created.id)
    ]
    with pytest.raises(NotFound):
        products.get_product(catalog.ports, stranger, created.id)


def test_an_unreadable_cache_entry_is_refreshed_from_the_database(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    catalog.cache.entries[products.cache_key(admin.tenant_id, created.id)] = b"{not json"
    found = products.get_product(catalog.ports, admin.tenant_id, created.id)
    assert found.product == created
    assert not found.cache_hit


def test_replace_with_the_current_version_moves_it_and_invalidates_the_cache(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    products.get_product(catalog.ports, admin.tenant_id, created.id)
    replaced = products.replace_product(catalog.ports, admin, created.id, details(name="Kettle"), expected_version=1)
    assert replaced.version == 2
    found = products.get_product(catalog.ports, admin.tenant_id, created.id)
    assert (found.cache_hit, found.product.details.name) == (False, "Kettle")


def test_a_stale_version_conflicts_and_changes_nothing(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    products.update_product(catalog.ports, admin, created.id, {"stock": 9}, expected_version=1)
    with pytest.raises(Conflict) as raised:
        products.update_product(catalog.ports, admin, created.id, {"stock": 1}, expected_version=1)
    assert raised.value.details == {
        "reason": "the product was changed by someone else; read it again and retry",
        "current_version": 2,
    }
    assert products.get_product(catalog.ports, admin.tenant_id, created.id).product.details.stock == 9


def test_update_keeps_fields_not_sent_and_checks_the_rules(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    updated = products.update_product(catalog.ports, admin, created.id, {"stock": 0}, expected_version=None)
    assert updated.details.name == created.details.name
    assert updated.details.stock == 0
    with pytest.raises(ValidationFailed):
        products.update_product(catalog.ports, admin, created.id, {"name": ""}, expected_version=None)


def test_writes_are_audited_with_the_acting_user(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    other = Principal("admin-2", "grace", Role.ADMIN, admin.tenant_id)
    catalog.clock.advance(5)
    updated = products.update_product(catalog.ports, other, created.id, {"stock": 1}, None)
    assert (updated.created_by, updated.updated_by) == ("admin-1", "admin-2")
    assert updated.updated_at > updated.created_at


def test_delete_is_soft_and_the_product_then_is_gone(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    products.delete_product(catalog.ports, admin, created.id, expected_version=1)
    assert catalog.repository.rows[created.id].deleted_at is not None
    with pytest.raises(NotFound):
        products.get_product(catalog.ports, admin.tenant_id, created.id)
    assert products.list_products(catalog.ports, admin.tenant_id, ProductQuery()).total == 0
    with pytest.raises(NotFound):
        products.delete_product(catalog.ports, admin, created.id, None)


def test_list_pages_report_where_they_stand(catalog, admin):
    for n in range(5):
        products.create_product(catalog.ports, admin, details(sku=f"S{n}", name=f"Item {n}"))
    page = products.list_products(
        catalog.ports, admin.tenant_id, ProductQuery(limit=2, offset=2, sort="name", order="asc")
    )
    assert [p.details.name for p in page.items] == ["Item 2", "Item 3"]
    assert (page.total, page.has_prev, page.has_next) == (5, True, True)


def test_reads_work_when_the_cache_is_down(catalog, admin):
    created = products.create_product(catalog.ports, admin, details())
    catalog.cache.down = True
    assert products.get_product(catalog.ports, admin.tenant_id, created.id).product == created


def _list(catalog, admin, **query):
    return products.list_products(catalog.ports, admin.tenant_id, ProductQuery(**query))


def test_a_list_counts_once_then_reads_only_its_page_until_a_write(catalog, admin):
    products.create_product(catalog.ports, admin, details(sku="A", name="Blue teapot"))
    assert _list(catalog, admin).total == 1
    remembered = {count for (_, _, _), count in catalog.totals.counts.items()}
    assert remembered == {1}
    # Another order or page of the same filters shares the count; other filters have their own.
    catalog.repository.rows.clear()  # a count read now would say 0: the remembered one is used
    assert _list(catalog, admin, sort="name", order="asc").total == 1
    assert _list(catalog, admin, text="teapot").total == 0


@pytest.mark.parametrize(
    "write",
    [
        lambda ports, admin, p: products.create_product(ports, admin, details(sku="NEW")),
        lambda ports, admin, p: products.update_product(ports, admin, p.id, {"stock": 1}, None),
        lambda ports, admin, p: products.replace_product(ports, admin, p.id, details(sku="A", name="Other"), None),
        lambda ports, admin, p: products.delete_product(ports, admin, p.id, None),
    ],
    ids=["create", "update", "replace", "delete"],
)
def test_every_write_makes_the_tenant_s_lists_count_again(catalog, admin, write):
    created = products.create_product(catalog.ports, admin, details(sku="A"))
    assert _list(catalog, admin).total == 1
    write(catalog.ports, admin, created)
    assert products.totals_scope(admin.tenant_id) not in catalog.totals.generations
    expected = len([p for p in catalog.repository.rows.values() if p.deleted_at is None])
    assert _list(catalog, admin).total == expected


def test_a_list_remembered_to_match_nothing_opens_no_unit_of_work(catalog, admin):
    assert _list(catalog, admin, text="nothing").total == 0
    units = len(catalog.units)
    page = _list(catalog, admin, text="nothing")
    assert (page.items, page.total, page.has_next, len(catalog.units)) == ([], 0, False, units)


def test_a_count_read_before_a_write_is_not_kept_after_it(catalog, admin):
    scope = products.totals_scope(admin.tenant_id)
    recalled = catalog.totals.recall(scope, "listing")
    catalog.totals.forget(scope)  # a write committed while the count was being read
    catalog.totals.remember(scope, "listing", recalled.generation, 5)
    assert catalog.totals.recall(scope, "listing").matches is None


def test_lists_count_every_time_while_the_totals_are_unavailable(catalog, admin):
    catalog.totals.down = True
    products.create_product(catalog.ports, admin, details(sku="A"))
    assert _list(catalog, admin).total == 1
    products.create_product(catalog.ports, admin, details(sku="B"))
    assert _list(catalog, admin).total == 2
