"""GET admin/stats, admin/reports and admin/analytics over HTTP: real handlers, the use cases on fakes."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from localdev.runtime import LambdaContext, load_handler
from storefront import bootstrap
from storefront.domain.reports import ProductSales, SalesTotal
from tests.fakes import FakeReportRepository, FakeReports
from tests.unit.handlers import call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
STATS = ("admin.get_stats.handler", "admin/get_stats.json")
REPORTS = ("admin.get_reports.handler", "admin/get_reports.json")
ANALYTICS = ("admin.get_analytics.handler", "admin/get_analytics.json")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeReports:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    repository = FakeReportRepository(
        TENANT,
        sales_totals=[
            SalesTotal("EUR", 2, Decimal("20.00"), date(2026, 11, 2)),
            SalesTotal("EUR", 2, Decimal("20.00")),
        ],
        products=[ProductSales(uuid4(), "=1+1", '@SUM(1), "x"', "EUR", 3, 2, Decimal("12.50"))],
    )
    reports = FakeReports(repository)
    bootstrap.provide(reports=reports.ports)
    return reports


def with_query(name: str, accept: str | None = "application/json", **params: str) -> dict[str, Any]:
    evt = event(name, queryStringParameters=params or None, multiValueQueryStringParameters=None)
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
    if accept is None:
        evt["headers"].pop("Accept", None)
        evt["multiValueHeaders"].pop("Accept", None)
    else:
        set_header(evt, "Accept", accept)
    return evt


@pytest.mark.parametrize("function", [STATS, REPORTS, ANALYTICS], ids=lambda f: f[0])
def test_figures_answer_in_the_envelope_and_are_cached(fake, function):
    handler, sample = function
    status, headers, body = call(handler, with_query(sample))
    assert status == 200
    assert body["success"] is True
    assert headers["X-Cache"] == ["MISS"]
    assert headers["Cache-Control"] == ["private, no-cache"]
    status, headers, again = call(handler, with_query(sample))
    assert headers["X-Cache"] == ["HIT"]
    assert again["data"] == body["data"]


@pytest.mark.parametrize("function", [STATS, REPORTS, ANALYTICS], ids=lambda f: f[0])
@pytest.mark.parametrize("role", ["user", "service"])
def test_only_admins_see_figures(fake, function, role):
    handler, sample = function
    evt = with_query(sample)
    evt["requestContext"]["authorizer"]["role"] = role
    status, _, body = call(handler, evt)
    assert status == 403
    assert body["error"]["code"] == "AUTH_003"
    assert fake.repository.calls == []


def test_a_report_as_csv_has_a_header_row_and_defused_cells(fake):
    evt = with_query(REPORTS[1], accept="text/csv", by="product", date_from="2026-11-01", date_to="2026-11-24")
    result = load_handler(REPORTS[0])(evt, LambdaContext("test"))
    headers = result["multiValueHeaders"]
    assert result["statusCode"] == 200
    assert headers["Content-Type"] == ["text/csv; charset=utf-8"]
    assert headers["Content-Disposition"] == ['attachment; filename="sales-by-product-2026-11-01-2026-11-24.csv"']
    assert "Accept" in headers["Vary"][0]
    rows = list(csv.DictReader(io.StringIO(result["body"], newline="")))
    assert rows == [
        {
            "product_id": rows[0]["product_id"],
            "sku": "'=1+1",
            "name": '\'@SUM(1), "x"',
            "currency": "EUR",
            "units": "3",
            "orders": "2",
            "revenue": "12.50",
        }
    ]


def test_the_csv_and_the_json_carry_the_same_numbers(fake):
    json_body = call(REPORTS[0], with_query(REPORTS[1], by="day"))[2]
    text = load_handler(REPORTS[0])(with_query(REPORTS[1], accept="text/csv", by="day"), LambdaContext("t"))["body"]
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["date"], r["currency"], int(r["orders"]), r["revenue"]) for r in parsed] == [
        (r["date"], r["revenue"]["currency"], r["orders"], r["revenue"]["amount"]) for r in json_body["data"]["rows"]
    ]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/csv;q=0.5, application/json"])
@pytest.mark.parametrize("function", [STATS, REPORTS, ANALYTICS], ids=lambda f: f[0])
def test_json_is_the_default_answer(fake, function, accept):
    status, headers, body = call(function[0], with_query(function[1], accept=accept))
    assert status == 200
    assert headers["Content-Type"] == ["application/json"]
    assert body["success"] is True


@pytest.mark.parametrize(
    ("function", "accept"),
    [
        (REPORTS, "text/html"),
        (REPORTS, "application/xml"),
        (REPORTS, "image/png, text/plain"),
        (STATS, "text/csv"),
        (STATS, "*/*, application/json;q=0"),
        (ANALYTICS, "text/csv"),
        (ANALYTICS, "text/*"),
        (ANALYTICS, "application/problem+json"),
    ],
    ids=lambda v: v[0] if isinstance(v, tuple) else v,
)
def test_an_accept_nothing_satisfies_is_406_in_the_envelope(fake, function, accept):
    status, _headers, body = call(function[0], with_query(function[1], accept=accept))
    assert status == 406
    assert body["status_code"] == 406
    assert body["error"]["code"] == "VAL_002"
    assert fake.repository.calls == []


@pytest.mark.parametrize(
    ("function", "params", "code", "field"),
    [
        (REPORTS, {"date_from": "2026-11-05", "date_to": "2026-11-01"}, "VAL_003", "date_from"),
        (REPORTS, {"date_from": "2025-01-01", "date_to": "2026-01-02"}, "VAL_003", "date_to"),
        (REPORTS, {"date_from": "2026-13-01"}, "VAL_002", "date_from"),
        (REPORTS, {"date_to": "yesterday"}, "VAL_002", "date_to"),
        (REPORTS, {"by": "week"}, "VAL_002", "by"),
        (REPORTS, {"limit": "0"}, "VAL_003", "limit"),
        (REPORTS, {"limit": "1001"}, "VAL_003", "limit"),
        (ANALYTICS, {"granularity": "year"}, "VAL_002", "granularity"),
        (ANALYTICS, {"top": "101"}, "VAL_003", "top"),
        (ANALYTICS, {"date_from": "2020-01-01", "date_to": "2026-01-01"}, "VAL_003", "date_to"),
        (STATS, {"low_stock_threshold": "-1"}, "VAL_003", "low_stock_threshold"),
        (STATS, {"low_stock_threshold": "many"}, "VAL_002", "low_stock_threshold"),
        (STATS, {"low_stock_threshold": "1.5"}, "VAL_002", "low_stock_threshold"),
        (STATS, {"low_stock_threshold": "\u0663"}, "VAL_002", "low_stock_threshold"),  # Arabic-Indic 3
        (ANALYTICS, {"top": "1e1"}, "VAL_002", "top"),
        (REPORTS, {"bye": "product"}, "VAL_002", "bye"),  # a parameter the route does not declare
        (STATS, {"threshold": "5"}, "VAL_002", "threshold"),
        (ANALYTICS, {"granularity": "week", "gra": "day"}, "VAL_002", "gra"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(fake, function, params, code, field):
    status, _, body = call(function[0], with_query(function[1], **params))
    assert status == 422, body
    assert body["error"]["code"] == code
    assert body["error"]["details"]["field"] == field
    assert fake.repository.calls == []


def test_the_admins_tenant_is_the_one_reported(fake):
    evt = with_query(REPORTS[1])
    evt["requestContext"]["authorizer"]["tenant_id"] = str(uuid4())
    body = call(REPORTS[0], evt)[2]
    assert body["data"]["rows"] == []
    assert json.dumps(body).count("EUR") == 0
