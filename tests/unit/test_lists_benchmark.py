"""The lists benchmark's pieces that need no database: its requests and its table."""

from __future__ import annotations

from decimal import Decimal

from benchmarks.lists import TENANT, Case, Measured, list_event, table

from storefront.domain.products import ProductStatus


def test_a_case_is_the_query_the_handler_builds_from_its_parameters():
    case = Case("x", {"q": "blue teapot", "status": "inactive", "min_price": "5", "sort": "price", "order": "asc"})
    query = case.query
    assert (query.words, query.status, query.min_price, query.sort, query.order) == (
        ("blue", "teapot"),
        ProductStatus.INACTIVE,
        Decimal("5"),
        "price",
        "asc",
    )


def test_the_event_carries_the_parameters_and_the_benchmark_tenant():
    evt = list_event({"q": "teapot", "cursor": "abc"})
    assert evt["httpMethod"] == "GET"
    assert evt["queryStringParameters"] == {"q": "teapot", "cursor": "abc"}
    assert evt["multiValueQueryStringParameters"] == {"q": ["teapot"], "cursor": ["abc"]}
    assert evt["requestContext"]["authorizer"]["tenant_id"] == str(TENANT)
    assert list_event({})["queryStringParameters"] is None


def test_the_table_leads_with_the_handler_ratio_and_has_one_cell_per_column():
    sizes = (10_000, 1_000_000)
    measured = Measured(
        {10_000: 2.0, 1_000_000: 3.0},
        {10_000: 1.0, 1_000_000: 4.0},
        {10_000: 0.5, 1_000_000: 1.0},
        {10_000: 0.75, 1_000_000: 9.0},
        set(),
    )
    lines = table({"q=teapot": measured}, sizes).splitlines()
    assert lines[0].startswith("| case | 10k ms | 1M ms | 1M/10k | counting 10k ms")
    assert {line.count("|") for line in lines} == {lines[0].count("|")}
    assert "| q=teapot | 2.00 | 3.00 | 1.50x | 1.00 | 4.00 | 4.00x | 0.500 | 1.000 | 2.00x | 9.000 | none |" in lines


def test_a_users_case_is_the_query_the_admin_list_builds_and_its_event_is_the_admin_list():
    from benchmarks.lists import user_cases

    from storefront.domain.identity import Role
    from storefront.domain.users import UserStatus

    case = Case("x", {"q": "ada", "status": "banned", "role": "admin", "sort": "email"}, subject="users")
    query = case.query
    assert (query.words, query.status, query.role, query.sort) == (("ada",), UserStatus.BANNED, Role.ADMIN, "email")
    evt = list_event({"q": "ada"}, subject="users")
    assert evt["path"] == "/KONGAPI/api/v1/admin/users"
    assert evt["requestContext"]["authorizer"]["role"] == "admin"
    assert all(c.label.startswith("users: ") and c.subject == "users" for c in user_cases())


def test_the_service_batch_table_says_whether_the_ratio_meets_the_target():
    from benchmarks.services import TARGET_RATIO, _item, table

    assert "meets" in table({"single": 20.0, "batch": 0.5, "ratio": 40.0, "rounds": [38.0, 40.0, 41.0]}, 3)
    missed = table({"single": 2.0, "batch": 0.5, "ratio": 4.0, "rounds": [3.5, 4.0, 4.5]}, 3)
    assert f"MISSES the {TARGET_RATIO}x" in missed
    assert "3.5x / 4.0x / 4.5x" in missed, "each round's ratio, so a reader sees the spread"
    loaded = table({"single": 2.0, "batch": 0.1, "ratio": 20.0, "rounds": [20.0], "load": (4.5, 5.25)}, 1)
    assert "| 4.5 / 5.2 |" in loaded, "how busy the machine was, which the ratio depends on"
    invalid = [n for n in range(1000) if _item(n, "r")["price"]["amount"] == "0"]
    assert len(invalid) == 10
