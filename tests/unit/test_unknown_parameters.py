"""A query parameter a route does not declare is 422 VAL_002 naming it, on every route (one middleware in
``api_resolver``), before the route reads anything: a mistyped filter never answers the whole list."""

from __future__ import annotations

from typing import Any

import pytest

from storefront import bootstrap
from tests.fakes import FakeCatalog, FakeOrders, FakeReportRepository, FakeReports
from tests.unit.handlers import SAMPLE_BUYER, call, event, set_header

TENANT = SAMPLE_BUYER.tenant_id
PREFLIGHT = "cors.preflight.handler"


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every port the routes below may reach, each a fake that records use."""
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    fakes: dict[str, Any] = {
        "catalog": FakeCatalog(),
        "orders": FakeOrders(),
        "reports": FakeReports(FakeReportRepository(TENANT)),
    }
    bootstrap.provide(**{name: fake.ports for name, fake in fakes.items()})
    return fakes


def with_query(name: str, params: dict[str, str]) -> dict[str, Any]:
    evt = set_header(event(name), "Accept", "application/json")
    evt["queryStringParameters"] = params or None
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
    return evt


@pytest.mark.parametrize(
    ("handler", "sample", "params", "unknown"),
    [
        ("products.list_products", "products/list_products.json", {"stauts": "active"}, ["stauts"]),
        ("products.list_products", "products/list_products.json", {"status": "active", "min_prce": "1"}, ["min_prce"]),
        ("products.get_product", "products/get_product.json", {"feilds": "id"}, ["feilds"]),
        ("orders.list_orders", "orders/list_orders.json", {"stauts": "PENDING"}, ["stauts"]),
        ("orders.list_orders", "orders/list_orders.json", {"user_id": str(TENANT)}, ["user_id"]),  # the admin's only
        ("admin.list_orders", "admin/list_orders.json", {"stauts": "PENDING"}, ["stauts"]),
        ("admin.list_orders", "admin/list_orders.json", {"sort": "total", "b": "1", "a": "2"}, ["a", "b"]),
        ("admin.get_reports", "admin/get_reports.json", {"by": "product", "limt": "5"}, ["limt"]),
        ("admin.get_stats", "admin/get_stats.json", {"threshold": "5"}, ["threshold"]),
        ("admin.get_analytics", "admin/get_analytics.json", {"granularity": "week", "gra": "day"}, ["gra"]),
        ("operations.public_health", "operations/public_health.json", {"verbose": "1"}, ["verbose"]),
    ],
)
def test_an_undeclared_parameter_is_422_naming_each(ports, handler, sample, params, unknown):
    status, _, body = call(f"{handler}.handler", with_query(sample, params))
    assert status == 422, body
    error = body["error"]
    assert (error["code"], error["details"]["field"]) == ("VAL_002", unknown[0])
    assert error["details"]["errors"] == [
        {"field": name, "code": "VAL_002", "reason": "is not a parameter of this route"} for name in unknown
    ]
    assert ports["reports"].repository.calls == []
    assert ports["orders"].units == []


@pytest.mark.parametrize(
    ("handler", "sample", "params"),
    [
        (
            "products.list_products",
            "products/list_products.json",
            {"limit": "5", "offset": "0", "sort": "price", "order": "asc", "status": "active", "fields": "id"},
        ),
        ("products.list_products", "products/list_products.json", {"min_price": "1", "max_price": "9.99", "q": "tea"}),
        (
            "admin.list_orders",
            "admin/list_orders.json",
            {
                "status": "PENDING",
                "user_id": str(TENANT),
                "min_total": "1",
                "max_total": "2",
                "created_from": "2026-11-01",
            },
        ),
        ("orders.list_orders", "orders/list_orders.json", {"created_to": "2026-11-30", "fields": "id,status"}),
        ("admin.get_reports", "admin/get_reports.json", {"by": "product", "limit": "5", "date_from": "2026-11-01"}),
        ("admin.get_stats", "admin/get_stats.json", {"low_stock_threshold": "5"}),
        ("admin.get_analytics", "admin/get_analytics.json", {"granularity": "week", "top": "3"}),
    ],
)
def test_the_declared_parameters_pass(ports, handler, sample, params):
    status, _, body = call(f"{handler}.handler", with_query(sample, params))
    assert status == 200, body


def test_a_preflight_with_a_query_is_answered_as_any(ports):
    """A browser's preflight carries the URL of the request it asks for, query included: never refused for it."""
    evt = event("cors/preflight.json", path="/KONGAPI/api/v1/products")
    evt["queryStringParameters"] = {"status": "active", "anything": "1"}
    evt["multiValueQueryStringParameters"] = {"status": ["active"], "anything": ["1"]}
    status, _, _ = call(PREFLIGHT, evt)
    assert status == 204


def test_a_path_no_route_serves_is_404_whatever_its_parameters(ports):
    """The catch-all function answers from the path alone: no parameter is unknown to a route that is not there."""
    evt = event("edge/no_route.json")
    evt["queryStringParameters"] = {"stauts": "x"}
    evt["multiValueQueryStringParameters"] = {"stauts": ["x"]}
    status, _, body = call("edge.no_route.handler", evt)
    assert (status, body["error"]["code"]) == (404, "BIZ_001")
