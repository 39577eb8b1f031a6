"""Idempotency-Key on the service write routes (batch and bulk-update of products, users and orders), against
the fakes and Powertools' persistence layer over an in-memory Redis: a retry answers the first response byte for
byte and writes nothing; another body is 409; a key is scoped per tenant, service and route; with Redis
unreachable a keyed request is 503 and writes nothing."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest

from localdev.runtime import LambdaContext, load_handler
from storefront import bootstrap
from storefront.application.service_keys import issue_service_key
from storefront.domain.money import Money
from storefront.domain.products import Product
from tests.conftest import details
from tests.fakes import FakeCatalog, FakeIdempotencyRedis, FakeOrders, FakeServiceKeyStore, FakeUsers
from tests.unit.handlers import SAMPLE_BUYER, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
PRODUCT = UUID("5a1d2c4e-0001-4000-8000-000000000001")
SERVICE = "demo-service"
WRITE_ROUTES = [
    ("services.batch_products.handler", "services/batch_products.json"),
    ("services.bulk_update_products.handler", "services/bulk_update_products.json"),
    ("services.batch_users.handler", "services/batch_users.json"),
    ("services.bulk_update_users.handler", "services/bulk_update_users.json"),
    ("services.batch_orders.handler", "services/batch_orders.json"),
    ("services.bulk_update_orders.handler", "services/bulk_update_orders.json"),
]


class World:
    def __init__(self) -> None:
        self.catalog, self.users, self.orders = FakeCatalog(), FakeUsers(), FakeOrders()
        self.keys, self.redis = FakeServiceKeyStore(), FakeIdempotencyRedis()
        self.orders.account(SAMPLE_BUYER)
        tea = Product.create(
            TENANT, details(stock=100, price=Money.of("8.90", "EUR")), "admin", self.orders.clock.now()
        )
        self.orders.state.products[PRODUCT] = tea.__class__(
            **{**{f: getattr(tea, f) for f in tea.__slots__}, "id": PRODUCT}
        )
        self.catalog.repository.add(self.orders.state.products[PRODUCT])  # what the products bulk-update changes

    def key(self, service: str = SERVICE, tenant: UUID = TENANT) -> str:
        return issue_service_key(self.keys.ports, tenant, service, "test").key


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    made = World()
    bootstrap.provide(
        catalog=made.catalog.ports,
        users=made.users.ports,
        orders=made.orders.ports,
        service_keys=made.keys.ports,
        idempotency=made.redis.store,
    )
    return made


def sent(name: str, api_key: str, idempotency_key: str | None, body: Any = None, service: str = SERVICE) -> dict:
    evt = event(name, **({"body": body} if body is not None else {}))
    evt["requestContext"]["requestId"] = str(uuid4())
    set_header(evt, "X-API-Key", api_key)
    set_header(evt, "X-Service-Name", service)
    if idempotency_key is not None:
        set_header(evt, "Idempotency-Key", idempotency_key)
    return evt


def raw(handler: str, evt: dict) -> dict:
    return load_handler(handler)(evt, LambdaContext("test"))


def header(answer: dict, name: str) -> str | None:
    values = answer.get("multiValueHeaders", {}).get(name) or []
    return values[0] if values else None


def written(world: World) -> int:
    """Rows the service routes wrote: products, accounts, orders, and versions moved past 1."""
    products = sum(1 + p.version for p in world.catalog.repository.rows.values())
    users = sum(u.version for u in world.users.state.users.values())
    orders = sum(o.version for o in world.orders.state.orders.values())
    return products + users + orders


@pytest.mark.parametrize(("handler", "name"), WRITE_ROUTES)
def test_a_retry_with_the_same_key_and_body_answers_the_first_response_and_writes_nothing(world, handler, name):
    api_key, key = world.key(), f"k-{uuid4()}"
    first = raw(handler, sent(name, api_key, key))
    assert first["statusCode"] == 200, first["body"]
    assert header(first, "Idempotent-Replayed") is None
    before = written(world)
    if "products" in name:
        assert before > 2, "the first request wrote"
    again = raw(handler, sent(name, api_key, key))
    assert again["statusCode"] == 200
    assert again["body"] == first["body"], "byte for byte, its meta.request_id the first call's"
    assert header(again, "Idempotent-Replayed") == "true"
    assert written(world) == before


@pytest.mark.parametrize(("handler", "name"), WRITE_ROUTES)
def test_the_same_key_with_another_body_is_409(world, handler, name):
    api_key, key = world.key(), f"k-{uuid4()}"
    assert raw(handler, sent(name, api_key, key))["statusCode"] == 200
    body = json.loads(event(name)["body"])
    body["items"] = body["items"][:1] + body["items"][:1]
    other = raw(handler, sent(name, api_key, key, body=body))
    answer = json.loads(other["body"])
    assert (other["statusCode"], answer["error"]["code"]) == (409, "BIZ_002")
    assert answer["error"]["details"]["field"] == "Idempotency-Key"


def test_a_retried_orders_batch_places_its_orders_once(world):
    api_key, key = world.key(), f"k-{uuid4()}"
    answers = [raw("services.batch_orders.handler", sent("services/batch_orders.json", api_key, key)) for _ in "abc"]
    created = [r for r in json.loads(answers[0]["body"])["data"]["results"] if r["status"] == "created"]
    assert created
    assert {a["body"] for a in answers} == {answers[0]["body"]}
    assert set(map(str, world.orders.state.orders)) == {r["id"] for r in created}
    published = [r for r in world.orders.state.outbox.values() if r.message.type == "order.placed"]
    assert len(published) == len(created), "one order.placed message per order: the saga runs once"


def test_a_key_is_scoped_per_service_and_per_route(world):
    key = f"k-{uuid4()}"
    mine, theirs = world.key(), world.key("another-service")
    products = {"items": [{"sku": "IDEM-1", "name": "One", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1}]}
    first = raw("services.batch_products.handler", sent("services/batch_products.json", mine, key, body=products))
    assert json.loads(first["body"])["data"]["results"][0]["status"] == "created"
    other = {"items": [{"sku": "IDEM-2", "name": "Two", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1}]}
    evt = sent("services/batch_products.json", theirs, key, body=other, service="another-service")
    answer = raw("services.batch_products.handler", evt)
    assert (answer["statusCode"], header(answer, "Idempotent-Replayed")) == (200, None), "another service's key"
    assert json.loads(answer["body"])["data"]["results"][0]["status"] == "created"
    product_id = json.loads(first["body"])["data"]["results"][0]["id"]
    change = {"items": [{"id": product_id, "version": 1, "changes": {"stock": 5}}]}
    evt = sent("services/bulk_update_products.json", mine, key, body=change)
    answer = raw("services.bulk_update_products.handler", evt)
    assert (answer["statusCode"], header(answer, "Idempotent-Replayed")) == (200, None), "another route's key"
    assert json.loads(answer["body"])["data"]["results"][0]["status"] == "updated"


def test_a_key_is_scoped_per_tenant(world):
    key, tenant = f"k-{uuid4()}", uuid4()
    ours = raw("services.batch_products.handler", sent("services/batch_products.json", world.key(), key))
    evt = sent("services/batch_products.json", world.key(tenant=tenant), key)
    for claims in (evt["requestContext"]["authorizer"],):
        claims["tenant_id"] = str(tenant)
    theirs = raw("services.batch_products.handler", evt)
    assert (theirs["statusCode"], header(theirs, "Idempotent-Replayed")) == (200, None)
    assert theirs["body"] != ours["body"]
    assert {p.tenant_id for p in world.catalog.repository.rows.values()} == {TENANT, tenant}


@pytest.mark.parametrize("key", ["", "x" * 256, "key with spaces"])
def test_a_bad_key_is_422_and_nothing_is_written(world, key):
    answer = raw("services.batch_products.handler", sent("services/batch_products.json", world.key(), key))
    assert (answer["statusCode"], json.loads(answer["body"])["error"]["code"]) == (422, "VAL_002")
    assert set(world.catalog.repository.rows) == {PRODUCT}, "nothing written"


@pytest.mark.parametrize(("handler", "name"), WRITE_ROUTES)
def test_with_the_store_unreachable_a_keyed_request_is_503_and_writes_nothing(world, handler, name):
    api_key = world.key()
    before = written(world)
    world.redis.down = True
    refused = raw(handler, sent(name, api_key, f"k-{uuid4()}"))
    error = json.loads(refused["body"])["error"]
    assert (refused["statusCode"], error["code"], header(refused, "Retry-After")) == (503, "SYS_003", "5")
    assert written(world) == before, "nothing written"
    unkeyed = raw(handler, sent(name, api_key, None))
    assert unkeyed["statusCode"] == 200, "a request without a key does not need the store"
