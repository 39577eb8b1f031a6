"""The admin's stats, sales reports and analytics through the local gateway, in Kong mode and in API Gateway mode:
an order placed and confirmed by the real pollers shows up in every figure, the CSV says what the JSON says,
and only an admin sees any of it."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from localdev.gateway_process import running_gateway
from localdev.stack import DEMO_PRODUCTS
from tests.e2e.conftest import Client, Reply

RAISED = {"RATE_LIMITS": "1000/minute,10000/hour,100000/day"}
MUG = str(DEMO_PRODUCTS[0][0])
ADDRESS = {"line1": "1 Rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}


def login(client: Client, name: str, password: str) -> str:
    reply = client.call("POST", "/public/auth/login", body={"login": name, "password": password})
    assert reply.status == 200, reply.json
    return str(reply.json["data"]["access_token"])


@pytest.fixture(scope="module", params=["kong", "apigw"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A gateway with one approved order of the demo user, CONFIRMED; the admin's and the user's tokens."""
    folder = tmp_path_factory.mktemp(f"reports-{request.param}")
    environment = {**RAISED, "MAIL_DIRECTORY": str(folder / "mail")}
    with running_gateway(
        request.param, f"sqlite:///{folder / 'reports.db'}", folder / "gateway.log", environment
    ) as port:
        client = Client(port)
        user = login(client, "demo-user", "storefront-demo-user")
        body = {
            "items": [{"product_id": MUG, "quantity": 2}],
            "shipping_address": ADDRESS,
            "payment_token": "tok_approve",
        }
        placed = client.call("POST", "/orders", token=user, body=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert placed.status == 201, placed.json
        order = placed.json["data"]
        deadline = time.monotonic() + 30
        while order["status"] != "CONFIRMED":
            assert time.monotonic() < deadline, order
            time.sleep(0.25)
            order = client.call("GET", f"/orders/{order['id']}", token=user).json["data"]
        yield {
            "client": client,
            "admin": login(client, "demo-admin", "storefront-demo-admin"),
            "user": user,
            "order": order,
        }


def get(shop: dict[str, Any], path: str, *, as_user: bool = False, accept: str = "application/json") -> Reply:
    token = shop["user"] if as_user else shop["admin"]
    reply: Reply = shop["client"].call("GET", path, token=token, headers={"Accept": accept})
    return reply


def test_the_confirmed_order_is_in_the_stats(shop):
    reply = get(shop, "/admin/stats")
    assert reply.status == 200, reply.json
    assert reply.headers["x-cache"] == "MISS"
    stats = reply.json["data"]
    total = shop["order"]["total"]
    assert {"amount": total["amount"], "currency": total["currency"], "orders": 1} in stats["revenue"]["today"]
    assert stats["orders"]["by_status"]["CONFIRMED"] == 1
    assert stats["users"]["by_role"]["admin"] >= 1
    assert get(shop, "/admin/stats").headers["x-cache"] == "HIT"


def test_the_sales_report_as_json_and_as_csv_agree(shop):
    today = datetime.now(UTC).date().isoformat()
    path = f"/admin/reports?by=product&date_from={today}&date_to={today}"
    as_json = get(shop, path)
    assert as_json.status == 200, as_json.json
    rows = as_json.json["data"]["rows"]
    assert [(r["product_id"], r["units"], r["orders"]) for r in rows] == [(MUG, 2, 1)]
    assert rows[0]["revenue"] == shop["order"]["total"]
    as_csv = get(shop, path, accept="text/csv")
    assert as_csv.status == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(as_csv.raw.decode(), newline="")))
    assert [(r["product_id"], int(r["units"]), int(r["orders"]), r["revenue"], r["currency"]) for r in parsed] == [
        (r["product_id"], r["units"], r["orders"], r["revenue"]["amount"], r["revenue"]["currency"]) for r in rows
    ]
    assert get(shop, path, accept="application/xml").status == 406


def test_analytics_count_the_confirmation(shop):
    reply = get(shop, "/admin/analytics?granularity=week&top=3")
    assert reply.status == 200, reply.json
    analysis = reply.json["data"]
    assert analysis["orders"]["confirmed"] == analysis["orders"]["placed"] == 1
    assert analysis["orders"]["confirmation_rate"] == "1.0000"
    total = shop["order"]["total"]
    assert analysis["average_order_value"] == [{"average": total, "revenue": total, "orders": 1}]
    assert [c["revenue"] for c in analysis["top_customers"]] == [total]
    assert Decimal(analysis["top_products"][0]["revenue"]["amount"]) == Decimal(total["amount"])


@pytest.mark.parametrize("path", ["/admin/stats", "/admin/reports", "/admin/analytics"])
def test_a_user_sees_no_figures(shop, path):
    reply = get(shop, path, as_user=True)
    assert reply.status == 403
    assert reply.code == "AUTH_003"


def test_a_range_over_a_year_is_refused(shop):
    reply = get(shop, "/admin/reports?date_from=2024-01-01&date_to=2025-06-30")
    assert reply.status == 422
    assert reply.json["error"]["details"]["field"] == "date_to"


@pytest.mark.parametrize("path", ["/admin/stats", "/admin/analytics"])
@pytest.mark.parametrize("accept", ["text/csv", "*/*, application/json;q=0"])
def test_the_json_only_figures_refuse_an_accept_without_json(shop, path, accept):
    reply = get(shop, path, accept=accept)
    assert (reply.status, reply.json["status_code"], reply.code) == (406, 406, "VAL_002")
    assert get(shop, path, accept="text/csv;q=0.5, */*;q=0.1").status == 200


def test_the_analytics_series_has_every_day_of_the_range(shop):
    today = datetime.now(UTC).date()
    reply = get(shop, f"/admin/analytics?granularity=day&date_from={(today - timedelta(days=6)).isoformat()}")
    assert reply.status == 200, reply.json
    series = reply.json["data"]["series"]
    assert [s["period_start"] for s in series] == [(today - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert [(s["placed"], s["revenue"]) for s in series[:-1]] == [(0, [])] * 6  # no order those days: zeros
    assert series[-1]["placed"] == 1


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("/admin/orders?stauts=PENDING", ["stauts"]),
        ("/admin/orders?status=PENDING&min_totl=1&usr=x", ["min_totl", "usr"]),
        ("/admin/reports?by=product&grouping=day", ["grouping"]),
        ("/admin/analytics?granularity=week&period=month", ["period"]),
        ("/admin/stats?threshold=3", ["threshold"]),
    ],
)
def test_a_parameter_no_route_declares_is_refused_by_name(shop, path, unknown):
    reply = get(shop, path)
    assert (reply.status, reply.code) == (422, "VAL_002"), reply.json
    assert [e["field"] for e in reply.json["error"]["details"]["errors"]] == unknown


def test_a_browser_may_read_the_csv_file_name(shop):
    origin = "http://localhost:5173"
    reply = shop["client"].call(
        "GET",
        "/admin/reports?by=day",
        token=shop["admin"],
        headers={"Accept": "text/csv", "Origin": origin},
    )
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == origin
    exposed = {h.strip().lower() for h in reply.headers["access-control-expose-headers"].split(",")}
    assert "content-disposition" in exposed
    assert reply.headers["content-disposition"].startswith("attachment; filename=")
