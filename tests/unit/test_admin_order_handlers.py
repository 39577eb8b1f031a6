"""The admin order handlers in-process: sample events in, envelopes out, fake order ports behind."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest

from storefront import bootstrap
from storefront.domain.money import Money
from storefront.domain.orders import OrderStatus, PaymentStatus
from storefront.domain.products import Product
from storefront.messages.envelope import Queue
from tests.conftest import details
from tests.fakes import FakeOrders
from tests.unit.handlers import SAMPLE_BUYER, call, event, set_header
from tests.unit.test_order_handlers import CREATE, PRODUCT, TENANT

LIST, GET = "admin.list_orders.handler", "admin.get_order.handler"
PUT, DELETE = "admin.replace_order.handler", "admin.delete_order.handler"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> FakeOrders:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    fake = FakeOrders()
    fake.account(SAMPLE_BUYER)
    tea = Product.create(TENANT, details(stock=10, price=Money.of("8.90", "EUR")), "admin", fake.clock.now())
    fake.state.products[PRODUCT] = replace(tea, id=PRODUCT)
    bootstrap.provide(orders=fake.ports)
    return fake


def on(name: str, order_id: str, **changes: Any) -> dict[str, Any]:
    evt = event(f"admin/{name}.json", **changes)
    evt["path"] = f"/KONGAPI/api/v1/admin/orders/{order_id}"
    evt["pathParameters"] = {"order_id": order_id}
    return evt


def put(order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The sample PUT with another body and no If-Match."""
    evt = on("replace_order", order_id, body=body)
    for headers in (evt["headers"], evt["multiValueHeaders"]):
        headers.pop("If-Match")
    return evt


def as_user(evt: dict[str, Any]) -> dict[str, Any]:
    evt["requestContext"]["authorizer"]["role"] = "user"
    return evt


def confirmed_order(shop: FakeOrders) -> dict[str, Any]:
    """An order a customer placed, which the saga has reserved and paid."""
    status, _, body = call(CREATE, event("orders/create_order.json"))
    assert status == 201, body
    order_id = UUID(body["data"]["id"])
    order = shop.state.orders[order_id]
    reserved, _ = order.moved_to(OrderStatus.RESERVED, "saga", shop.clock.now())
    shop.state.orders[order_id], _ = reserved.moved_to(
        OrderStatus.CONFIRMED, "saga", shop.clock.now(), payment_status=PaymentStatus.CAPTURED
    )
    return body["data"]


def test_an_admin_lists_and_reads_a_customers_order_with_its_history(shop):
    order = confirmed_order(shop)
    status, _, body = call(LIST, event("admin/list_orders.json"))
    assert (status, [o["id"] for o in body["data"]]) == (200, [order["id"]]), body
    assert body["meta"]["pagination"]["total"] == 1
    status, headers, body = call(GET, on("get_order", order["id"]))
    assert (status, headers["ETag"]) == (200, ['"v3"'])
    assert [e["kind"] for e in body["data"]["history"]] == ["placed", "reserved", "confirmed"]
    assert call(GET, set_header(on("get_order", order["id"]), "If-None-Match", '"v3"'))[0] == 304
    assert call(GET, on("get_order", str(uuid4())))[0] == 404


def test_ship_deliver_then_delete_through_the_handlers(shop):
    order = confirmed_order(shop)
    assert call(DELETE, on("delete_order", order["id"]))[0] == 409, "not finished yet"
    # The sample event names version 4 (what `make invoke` seeds: the saga records its charge attempt too).
    status, headers, body = call(PUT, set_header(on("replace_order", order["id"]), "If-Match", '"v3"'))
    assert (status, body["data"]["status"], headers["ETag"]) == (200, "SHIPPED", ['"v4"']), body
    assert body["data"]["history"][-1]["kind"] == "shipped"
    status, _, body = call(PUT, put(order["id"], {"status": "DELIVERED", "notes": None}))
    assert (status, body["data"]["status"], body["data"]["notes"]) == (200, "DELIVERED", None)
    stale = set_header(on("delete_order", order["id"]), "If-Match", '"v4"')
    assert call(DELETE, stale)[0] == 409
    assert call(DELETE, on("delete_order", order["id"]))[0] == 204
    assert call(GET, on("get_order", order["id"]))[0] == 404
    assert [m.type for q, m in shop.publisher.sent if q is Queue.NOTIFICATION] == ["order.shipped", "order.delivered"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"status": "DELIVERED", "notes": None}, 409, "BIZ_002"),
        ({"status": "CANCELLED", "notes": None}, 409, "BIZ_002"),
        ({"status": "SHIPPED", "notes": None, "version": 1}, 409, "BIZ_002"),
        ({"status": "LOST", "notes": None}, 422, "VAL_002"),
        ({"notes": "x"}, 400, "VAL_001"),
        ({"status": "SHIPPED"}, 400, "VAL_001"),
        ({"status": "SHIPPED", "notes": None, "items": []}, 422, "VAL_002"),
        ({"status": "SHIPPED", "notes": "x" * 1001}, 422, "VAL_003"),
    ],
    ids=["skips shipping", "cancel", "stale version", "unknown status", "no status", "no notes", "items", "long notes"],
)
def test_refused_updates_answer_in_the_envelope(shop, body, status, code):
    order = confirmed_order(shop)
    got, _, answer = call(PUT, put(order["id"], body))
    assert (got, answer["error"]["code"]) == (status, code), answer


SERVER_SET = ("user_id", "payment_status", "total", "history", "tenant_id")


def test_the_read_only_base_fields_sent_back_are_ignored(shop):
    order = confirmed_order(shop)
    _, _, body = call(GET, on("get_order", order["id"]))
    kept = ("id", "version", "created_at", "updated_at", "created_by", "updated_by", "notes")
    sent = {k: v for k, v in body["data"].items() if k in kept} | {"status": "SHIPPED"}
    status, _, answer = call(PUT, put(order["id"], sent))
    assert (status, answer["data"]["status"], answer["data"]["version"]) == (200, "SHIPPED", 4), answer


@pytest.mark.parametrize("name", SERVER_SET)
def test_a_field_only_the_server_sets_is_refused_by_name(shop, name):
    order = confirmed_order(shop)
    _, _, body = call(GET, on("get_order", order["id"]))
    value = body["data"].get(name, "t1")
    status, _, answer = call(PUT, put(order["id"], {"status": "SHIPPED", "notes": None, name: value}))
    assert (status, answer["error"]["code"], answer["error"]["details"]["field"]) == (403, "AUTH_003", name), answer
    assert shop.state.orders[UUID(order["id"])].status is OrderStatus.CONFIRMED, "nothing changed"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "name"}, "sort"),
        ({"status": "LOST"}, "status"),
        ({"user_id": "someone"}, "user_id"),
        ({"min_total": "-1"}, "min_total"),
        ({"max_total": "ten"}, "max_total"),
        ({"min_total": "20", "max_total": "10"}, "max_total"),
        ({"created_from": "2026-12-02", "created_to": "2026-12-01"}, "created_to"),
    ],
)
def test_the_list_refuses_bad_filters_with_422(shop, query, field):
    evt = event("admin/list_orders.json", queryStringParameters=query)
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    status, _, body = call(LIST, evt)
    assert status == 422, body
    assert field in str(body["error"]["details"])


# Money has at most 2 decimals (a price in a body, the contract): a total bound with more is out of range.
@pytest.mark.parametrize(
    ("value", "status", "code", "reason"),
    [
        ("1.23", 200, None, None),
        ("1.2", 200, None, None),
        ("0", 200, None, None),
        ("123456789012.99", 200, None, None),
        ("1.234", 422, "VAL_003", "must have at most 2 decimal places"),
        ("0.001", 422, "VAL_003", "must have at most 2 decimal places"),
        ("1.000", 422, "VAL_003", "must have at most 2 decimal places"),
        ("1234567890123", 422, "VAL_003", "must have at most 12 digits before the point"),
        ("-1.5", 422, "VAL_003", "must be at least 0"),
        ("1.", 422, "VAL_002", "must be a price such as 12.50"),
        ("1e2", 422, "VAL_002", "must be a price such as 12.50"),
        ("\u0661.50", 422, "VAL_002", "must be a price such as 12.50"),  # Arabic-Indic 1
    ],
)
@pytest.mark.parametrize("name", ["min_total", "max_total"])
def test_a_total_bound_is_money_with_at_most_two_decimals(shop, name, value, status, code, reason):
    from storefront.http.products import PRICE_QUERY_PATTERN

    assert (re.fullmatch(PRICE_QUERY_PATTERN, value) is not None) == (status == 200)  # what OpenAPI publishes
    answered, _, body = call(LIST, query("list_orders", {name: value}))
    assert answered == status, body
    if code is not None:
        error = body["error"]
        assert (error["code"], error["details"]["field"], error["details"]["reason"]) == (code, name, reason)
        assert error["details"]["errors"] == [{"field": name, "code": code, "reason": reason}]


@pytest.mark.parametrize(
    ("handler", "name"),
    [(LIST, "list_orders"), (GET, "get_order"), (PUT, "replace_order"), (DELETE, "delete_order")],
)
def test_a_user_is_refused_every_admin_route(shop, handler, name):
    order = confirmed_order(shop)
    evt = as_user(event("admin/list_orders.json") if name == "list_orders" else on(name, order["id"]))
    status, _, body = call(handler, evt)
    assert (status, body["error"]["code"]) == (403, "AUTH_003")


def query(name: str, params: dict[str, str], order_id: str | None = None) -> dict[str, Any]:
    evt = on(name, order_id) if order_id else event(f"admin/{name}.json")
    evt["queryStringParameters"] = params
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()}
    return evt


def test_fields_selects_the_fields_of_each_listed_order_and_of_one_order(shop):
    order = confirmed_order(shop)
    status, _, body = call(LIST, query("list_orders", {"fields": "id,status, total"}))
    assert (status, body["data"]) == (200, [{"id": order["id"], "status": "CONFIRMED", "total": order["total"]}])
    status, _, body = call(GET, query("get_order", {"fields": "status,user_id"}, order["id"]))
    assert (status, body["data"]) == (200, {"status": "CONFIRMED", "user_id": order["user_id"]}), body


@pytest.mark.parametrize("fields", ["tenant_id", "payment_token", "id,secret", ","])
@pytest.mark.parametrize("name", ["list_orders", "get_order"])
def test_fields_refuses_a_field_that_is_not_selectable(shop, fields, name):
    order = confirmed_order(shop)
    handler, order_id = (LIST, None) if name == "list_orders" else (GET, order["id"])
    status, _, body = call(handler, query(name, {"fields": fields}, order_id))
    assert (status, body["error"]["code"]) == (422, "VAL_002"), body
    assert body["error"]["details"]["field"] == "fields"
