"""The order handlers in-process: sample events in, envelopes out, fake order ports behind."""

from __future__ import annotations

import copy
import json
from uuid import UUID, uuid4

import pytest

from storefront import bootstrap
from storefront.domain.money import Money
from storefront.domain.products import Product
from storefront.messages.envelope import Queue
from tests.conftest import details
from tests.fakes import FakeIdempotencyRedis, FakeOrders
from tests.unit.handlers import SAMPLE_BUYER, call, event, set_header
from tests.unit.test_address_rules import BAD_ADDRESSES
from tests.unit.test_address_rules import GOOD as GOOD_ADDRESS

TENANT = UUID("00000000-0000-4000-8000-000000000001")
PRODUCT = UUID("5a1d2c4e-0001-4000-8000-000000000001")
CREATE, GET, LIST = "orders.create_order.handler", "orders.get_order.handler", "orders.list_orders.handler"
PUT, PATCH, DELETE = "orders.replace_order.handler", "orders.update_order.handler", "orders.delete_order.handler"
CANCEL = "orders.cancel_order.handler"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> FakeOrders:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    fake = FakeOrders()
    fake.account(SAMPLE_BUYER)
    tea = Product.create(TENANT, details(stock=10, price=Money.of("8.90", "EUR")), "admin", fake.clock.now())
    fake.state.products[PRODUCT] = tea.__class__(**{**{f: getattr(tea, f) for f in tea.__slots__}, "id": PRODUCT})
    bootstrap.provide(orders=fake.ports)
    return fake


def on(name: str, order_id: str, **changes: object) -> dict:
    evt = event(f"orders/{name}.json", **changes)
    suffix = "/cancel" if name == "cancel_order" else ""
    evt["path"] = f"/KONGAPI/api/v1/orders/{order_id}{suffix}"
    evt["pathParameters"] = {"order_id": order_id}
    return evt


def placed() -> dict:
    status, headers, body = call(CREATE, event("orders/create_order.json"))
    assert status == 201, body
    assert headers["Location"] == [f"/KONGAPI/api/v1/orders/{body['data']['id']}"]
    assert headers["ETag"] == ['"v1"']
    return body["data"]


def test_create_answers_201_pending_without_the_payment_token(shop):
    order = placed()
    assert (order["status"], order["payment_status"]) == ("PENDING", "pending")
    assert order["total"] == {"amount": "17.80", "currency": "EUR"}
    assert order["items"][0] == {
        "product_id": str(PRODUCT),
        "sku": shop.state.products[PRODUCT].details.sku,
        "name": shop.state.products[PRODUCT].details.name,
        "quantity": 2,
        "unit_price": {"amount": "8.90", "currency": "EUR"},
        "line_total": {"amount": "17.80", "currency": "EUR"},
    }
    assert order["history"][0]["kind"] == "placed"
    assert "payment_token" not in str(order)
    assert "tok_approve" not in str(order)
    assert [q for q, _ in shop.publisher.sent] == [Queue.ORDER_PROCESSING]


def test_get_304_patch_cancel_delete_through_the_handlers(shop):
    order = placed()
    status, headers, body = call(GET, on("get_order", order["id"]))
    assert (status, headers["ETag"], body["data"]) == (200, ['"v1"'], order)
    assert call(GET, set_header(on("get_order", order["id"]), "If-None-Match", '"v1"'))[0] == 304
    status, headers, body = call(PATCH, on("update_order", order["id"]))
    assert (status, body["data"]["notes"], headers["ETag"]) == (200, "Ring twice", ['"v2"'])
    status, _, body = call(PUT, on("replace_order", order["id"]))  # If-Match "v1": stale now
    assert (status, body["error"]["code"]) == (409, "BIZ_002")
    assert call(DELETE, on("delete_order", order["id"]))[0] == 409, "not finished yet"
    status, _, body = call(CANCEL, on("cancel_order", order["id"]))
    assert (status, body["data"]["status"]) == (200, "CANCELLED")
    assert call(CANCEL, on("cancel_order", order["id"]))[2]["error"]["code"] == "BIZ_002"
    assert call(DELETE, on("delete_order", order["id"]))[0] == 204
    assert call(GET, on("get_order", order["id"]))[2]["error"]["code"] == "BIZ_001"


def test_another_users_order_is_404(shop):
    order = placed()
    evt = on("get_order", order["id"])
    evt["requestContext"]["authorizer"]["sub"] = evt["requestContext"]["authorizer"]["principalId"] = str(uuid4())
    status, _, body = call(GET, evt)
    assert (status, body["error"]["code"]) == (404, "BIZ_001")


def test_list_answers_own_orders_with_pagination(shop):
    first, second = placed(), placed()
    status, _, body = call(LIST, event("orders/list_orders.json"))
    assert status == 200
    assert [o["id"] for o in body["data"]] == [second["id"], first["id"]] or {o["id"] for o in body["data"]} == {
        first["id"],
        second["id"],
    }
    assert body["meta"]["pagination"]["total"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "name"}, "sort"),
        ({"status": "LOST"}, "status"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_from": "2026-12-02", "created_to": "2026-12-01"}, "created_to"),
        ({"created_to": "2026-12-01T10:00:00"}, "created_to"),
    ],
)
def test_list_refuses_bad_filters_with_422(shop, query, field):
    evt = event("orders/list_orders.json", queryStringParameters=query)
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    status, _, body = call(LIST, evt)
    assert status == 422, body
    assert field in str(body["error"]["details"])


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        # the request model's checks (pydantic's location)
        ([{"product_id": "not-a-uuid", "quantity": 1}], "VAL_002", "items.0.product_id"),
        ([{"quantity": 1}], "VAL_001", "items.0.product_id"),
        ([{"product_id": str(PRODUCT), "quantity": "two"}], "VAL_002", "items.0.quantity"),
        # the domain's rules (FieldError)
        ([{"product_id": str(PRODUCT), "quantity": 0}], "VAL_003", "items.0.quantity"),
        (
            [{"product_id": str(PRODUCT), "quantity": 1}, {"product_id": str(PRODUCT), "quantity": 1}],
            "VAL_002",
            "items.1.product_id",
        ),
        # the catalogue's (application)
        ([{"product_id": str(uuid4()), "quantity": 1}], "VAL_002", "items.0.product_id"),
        ([{"product_id": str(PRODUCT), "quantity": 11}], "BIZ_003", "items.0.quantity"),
    ],
)
def test_an_item_field_is_named_the_same_dotted_way_whichever_check_refuses_it(shop, items, code, field):
    """Outside pass: pydantic said ``items.0.quantity``, the domain ``items[0].quantity``; the API names every
    nested field with dots (``price.amount``, ``shipping_address.line1``), so items are ``items.0.quantity``."""
    body = {**json.loads(event("orders/create_order.json")["body"]), "items": items}
    status, _, answer = call(CREATE, event("orders/create_order.json", body=body))
    assert status in (400, 422), answer
    details = answer["error"]["details"]
    assert (answer["error"]["code"], details["field"]) == (code, field)
    assert all("[" not in e["field"] for e in details["errors"])


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"items": []}, 422, "VAL_003", "items"),
        ({"items": [{"product_id": str(uuid4()), "quantity": 1}]}, 422, "VAL_002", "items.0.product_id"),
        ({"items": [{"product_id": str(PRODUCT), "quantity": 11}]}, 422, "BIZ_003", "items.0.quantity"),
        ({"items": [{"product_id": str(PRODUCT), "quantity": 1001}]}, 422, "VAL_003", "items.0.quantity"),
        ({"shipping_address": {"line1": "x", "city": "y", "postal_code": "1", "country": "ZZ"}}, 422, "VAL_002", None),
        ({"payment_token": None}, 422, "VAL_002", "payment_token"),
        ({"payment_token": "   "}, 422, "VAL_003", "payment_token"),
        ({"unknown": 1}, 422, "VAL_002", None),
    ],
)
def test_create_refuses_bad_orders_in_the_envelope(shop, change, status, code, field):
    evt = event("orders/create_order.json")
    body = copy.deepcopy(__import__("json").loads(evt["body"]))
    body.update(change)
    answered, _, answer = call(CREATE, event("orders/create_order.json", body=body))
    assert (answered, answer["error"]["code"]) == (status, code), answer
    if field is not None:
        assert answer["error"]["details"]["field"] == field
    assert shop.state.orders == {}


@pytest.mark.parametrize("key", ["", "x" * 256, "key with spaces", "clé"])
def test_a_bad_idempotency_key_is_422(shop, key):
    evt = set_header(event("orders/create_order.json"), "Idempotency-Key", key)
    status, _, body = call(CREATE, evt)
    assert (status, body["error"]["code"]) == (422, "VAL_002")
    assert shop.state.orders == {}


def test_without_redis_a_repeated_key_runs_again_and_the_database_decides(shop):
    placed()
    placed()
    assert len(shop.state.orders) == 2, "no idempotency store configured (no REDIS_URL): keys are not checked"


def without_key(evt: dict) -> dict:
    evt["headers"].pop("Idempotency-Key")
    evt["multiValueHeaders"].pop("Idempotency-Key")
    return evt


@pytest.mark.parametrize(
    ("keyed", "status"),
    [
        (True, 503),  # the key cannot be checked: refused before anything is written, to be retried
        (False, 201),  # no key: the store is not needed
    ],
)
def test_with_the_idempotency_store_unreachable_a_keyed_order_is_503_and_writes_nothing(shop, keyed, status):
    """Outside pass (issue 8): with Redis unreachable one key placed two orders and two charges."""
    redis = FakeIdempotencyRedis()
    redis.down = True
    bootstrap.provide(orders=shop.ports, idempotency=redis.store)
    evt = event("orders/create_order.json")
    answered, headers, body = call(CREATE, evt if keyed else without_key(evt))
    assert answered == status, body
    if keyed:
        assert body["error"]["code"] == "SYS_003"
        assert body["error"]["details"]["field"] == "Idempotency-Key"
        assert headers["Retry-After"] == ["5"]
        assert (shop.state.orders, shop.state.outbox) == ({}, {}), "nothing written, nothing published"
        assert shop.state.products[PRODUCT].details.stock == 10
        redis.down = False
        assert call(CREATE, event("orders/create_order.json"))[0] == 201, "the retry once Redis is back"
    assert len(shop.state.orders) == 1


@pytest.mark.parametrize(("vanishing", "status"), [(1, 201), (2, 201), (50, 409)])
def test_a_key_freed_while_a_retry_looked_at_it_is_taken_not_refused_as_unreachable(shop, vanishing, status):
    """Re-check pass: concurrent retries of an order whose first request failed answered 503 "the idempotency store
    is unavailable": the record that refused their SET NX was deleted before they could read it. The key is free,
    so the retry takes it (201); one that keeps losing the race is answered in progress (409), never 503."""
    redis = FakeIdempotencyRedis()
    redis.vanishing = vanishing
    bootstrap.provide(orders=shop.ports, idempotency=redis.store)
    answered, _, body = call(CREATE, event("orders/create_order.json"))
    assert answered == status, body
    assert len(shop.state.orders) == (1 if status == 201 else 0)


def as_caller(evt: dict, role: str, user_id: str | None = None) -> dict:
    """The event as sent by another principal of the tenant (a fresh user id unless given)."""
    authorizer = evt["requestContext"]["authorizer"]
    authorizer["sub"] = authorizer["principalId"] = user_id or str(uuid4())
    authorizer["role"] = role
    return evt


@pytest.mark.parametrize(
    ("handler", "name", "status"),
    [
        (GET, "get_order", 200),
        (PATCH, "update_order", 200),
        (PUT, "replace_order", 200),
        (CANCEL, "cancel_order", 200),
    ],
)
@pytest.mark.parametrize(("role", "reaches"), [("admin", True), ("user", False)])
def test_an_admin_of_the_tenant_reaches_another_users_order(shop, handler, name, status, role, reaches):
    order = placed()
    evt = as_caller(on(name, order["id"]), role)
    if name == "replace_order":
        set_header(evt, "If-Match", '"v1"')
    answered, _, body = call(handler, evt)
    if reaches:
        assert answered == status, body
        assert body["data"]["id"] == order["id"]
    else:
        assert (answered, body["error"]["code"]) == (404, "BIZ_001")


@pytest.mark.parametrize(("role", "detail"), [(None, "cancelled by the customer"), ("admin", "cancelled by an admin")])
def test_the_history_says_who_cancelled_the_order(shop, role, detail):
    order = placed()
    evt = on("cancel_order", order["id"]) if role is None else as_caller(on("cancel_order", order["id"]), role)
    status, _, body = call(CANCEL, evt)
    assert (status, body["data"]["history"][-1]["detail"]) == (200, detail), body


def test_an_admin_deletes_another_users_finished_order(shop):
    order = placed()
    assert call(CANCEL, on("cancel_order", order["id"]))[0] == 200
    assert call(DELETE, as_caller(on("delete_order", order["id"]), "user"))[0] == 404
    assert call(DELETE, as_caller(on("delete_order", order["id"]), "admin"))[0] == 204


SERVER_SET = {
    "status": "DELIVERED",
    "payment_status": "captured",
    "user_id": str(uuid4()),
    "total": {"amount": "0.01", "currency": "EUR"},
    "history": [],
    "tenant_id": str(uuid4()),
}


@pytest.mark.parametrize("field", sorted(SERVER_SET))
@pytest.mark.parametrize(
    ("handler", "name"), [(CREATE, "create_order"), (PUT, "replace_order"), (PATCH, "update_order")]
)
def test_a_field_only_the_server_sets_is_403_naming_it(shop, handler, name, field):
    order = placed() if handler != CREATE else None
    sample = event(f"orders/{name}.json")
    body = {**__import__("json").loads(sample["body"]), field: SERVER_SET[field]}
    evt = on(name, order["id"], body=body) if order else event(f"orders/{name}.json", body=body)
    status, _, answer = call(handler, evt)
    assert (status, answer["error"]["code"], answer["error"]["details"]["field"]) == (403, "AUTH_003", field)
    assert len(shop.state.orders) == (0 if order is None else 1)
    if order is not None:
        assert next(iter(shop.state.orders.values())).version == 1, "nothing changed"


@pytest.mark.parametrize(
    "read_only",
    [{"id": str(uuid4())}, {"version": 7}, {"created_at": "2020-01-01T00:00:00Z"}, {"updated_by": "eve"}],
)
def test_read_only_fields_are_ignored_on_create(shop, read_only):
    sample = event("orders/create_order.json")
    body = {**__import__("json").loads(sample["body"]), **read_only}
    status, _, answer = call(CREATE, event("orders/create_order.json", body=body))
    assert status == 201, answer
    assert (answer["data"]["version"], answer["data"]["created_by"]) != (7, "eve")
    assert answer["data"]["id"] != read_only.get("id")


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (None, {}, 200, None),
        ("{}", {}, 200, None),
        ({"version": 1}, {}, 200, None),
        ({"version": 1, "id": "ignored"}, {}, 200, None),
        ({"version": 2}, {}, 409, "BIZ_002"),
        (None, {"If-Match": '"v2"'}, 409, "BIZ_002"),
        ({"version": 1}, {"If-Match": '"v1"'}, 200, None),
        ({"version": 1}, {"If-Match": '"v2"'}, 409, "BIZ_002"),
        ({"reason": "changed my mind"}, {}, 422, "VAL_002"),
        ({"version": "1"}, {}, 422, "VAL_002"),
        ("[]", {}, 422, "VAL_002"),
        ("{", {}, 400, "VAL_001"),
        ({"version": 1}, {"Content-Type": "text/plain"}, 415, "VAL_002"),
    ],
)
def test_cancel_takes_an_optional_version(shop, body, headers, status, code):
    order = placed()
    evt = on("cancel_order", order["id"], body=body)
    if body is not None:
        set_header(evt, "Content-Type", "application/json")
    for name, value in headers.items():
        set_header(evt, name, value)
    answered, _, answer = call(CANCEL, evt)
    assert answered == status, answer
    if code is not None:
        assert answer["error"]["code"] == code
        assert shop.state.orders[UUID(order["id"])].status.value == "PENDING", "nothing changed"
    else:
        assert answer["data"]["status"] == "CANCELLED"


@pytest.mark.parametrize(("fields", "keys"), [("id,status", {"id", "status"}), ("total", {"total"}), ("", None)])
def test_list_and_get_select_fields(shop, fields, keys):
    order = placed()
    query = {"fields": fields}
    listing = event("orders/list_orders.json", queryStringParameters=query)
    listing["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    reading = on("get_order", order["id"], queryStringParameters=query)
    reading["multiValueQueryStringParameters"] = listing["multiValueQueryStringParameters"]
    for handler, evt in ((LIST, listing), (GET, reading)):
        status, _, body = call(handler, evt)
        assert status == 200, body
        data = body["data"][0] if handler == LIST else body["data"]
        assert set(data) == (keys if keys is not None else set(order))


@pytest.mark.parametrize("fields", ["payment_token", "id,nope", ","])
def test_an_unknown_selected_field_is_422(shop, fields):
    order = placed()
    query = {"fields": fields}
    for handler, evt in ((LIST, event("orders/list_orders.json")), (GET, on("get_order", order["id"]))):
        evt["queryStringParameters"] = query
        evt["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
        status, _, body = call(handler, evt)
        assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (422, "VAL_002", "fields")


@pytest.mark.parametrize(
    ("sub", "role", "status", "code"),
    [
        (str(uuid4()), "user", 404, "BIZ_001"),  # a valid token whose user does not exist (or was deleted)
        (str(uuid4()), "service", 404, "BIZ_001"),  # a service's subject (make token ROLE=service): no account
        (SAMPLE_BUYER.user_id, "user", 201, None),
    ],
)
def test_create_needs_the_callers_account(shop, sub, role, status, code):
    answered, _, answer = call(CREATE, as_caller(event("orders/create_order.json"), role, sub))
    assert answered == status, answer
    if code is not None:
        assert (answer["error"]["code"], answer["error"]["message"]) == (code, "User not found")
        assert shop.state.orders == {}


@pytest.mark.parametrize(("changes", "field"), BAD_ADDRESSES)
def test_a_shipping_address_that_breaks_a_rule_is_422(shop, changes, field):
    body = json.loads(event("orders/create_order.json")["body"])
    body["shipping_address"] = {**GOOD_ADDRESS, **changes}
    status, _, answer = call(CREATE, event("orders/create_order.json", body=body))
    assert (status, answer["error"]["details"]["field"]) == (422, f"shipping_address.{field}"), answer
