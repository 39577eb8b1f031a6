"""The internal routes' handlers: IAM (API Gateway's identity) plus a service key, then what they answer."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID, uuid4

import pytest

from storefront import bootstrap, config
from storefront.adapters.tokens import JwtTokens
from storefront.application.service_keys import issue_service_key
from storefront.domain.money import Money
from storefront.domain.orders import OrderStatus
from storefront.domain.products import Product
from storefront.messages.envelope import Queue
from tests.conftest import TEST_SECRETS, details
from tests.fakes import FakeOrders, FakeRateLimits, FakeServiceKeyStore
from tests.unit.handlers import SAMPLE_BUYER, call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
PRODUCT = UUID("5a1d2c4e-0001-4000-8000-000000000001")
VALIDATE, PROCESS = "internal.validate_token.handler", "internal.process_order.handler"


class Internal:
    def __init__(self, key: str, limits: FakeRateLimits, shop: FakeOrders) -> None:
        self.key, self.limits, self.shop = key, limits, shop


@pytest.fixture
def internal(monkeypatch: pytest.MonkeyPatch) -> Internal:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    keys, limits, shop = FakeServiceKeyStore(), FakeRateLimits(), FakeOrders()
    shop.account(SAMPLE_BUYER)
    key = issue_service_key(keys.ports, TENANT, "demo-service", "test").key
    tea = Product.create(TENANT, details(stock=10, price=Money.of("8.90", "EUR")), "admin", shop.clock.now())
    shop.state.products[PRODUCT] = tea.__class__(**{**{f: getattr(tea, f) for f in tea.__slots__}, "id": PRODUCT})
    bootstrap.provide(
        service_keys=keys.ports,
        rate_limiter=limits,
        revocations=limits,
        token_verifier=JwtTokens(TEST_SECRETS),
        orders=shop.ports,
    )
    return Internal(key, limits, shop)


def token(tenant: UUID = TENANT, ttl: int = 600, **claims: Any) -> str:
    base = {"sub": str(uuid4()), "username": "ada", "role": "user", "tenant_id": str(tenant), **claims}
    return JwtTokens(TEST_SECRETS).issue("storefront-web", base, lifetime_seconds=ttl)


def request(name: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    return set_header(event(f"internal/{name}.json", body=body), "X-API-Key", key)


def test_a_valid_token_answers_its_principal(internal):
    given = token(username="grace", role="admin")
    status, headers, body = call(VALIDATE, request("validate_token", internal.key, {"token": given}))
    assert status == 200, body
    assert (body["data"]["username"], body["data"]["role"], body["data"]["tenant_id"]) == (
        "grace",
        "admin",
        str(TENANT),
    )
    assert headers["Cache-Control"] == ["no-store"]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: token(ttl=-60), "AUTH_002"),
        (lambda: token(tenant=uuid4()), "AUTH_001"),
        (lambda: token()[:-4] + "AAAA", "AUTH_001"),
        (lambda: "not-a-token", "AUTH_001"),
    ],
)
def test_an_invalid_token_is_401(internal, make, code):
    status, _, body = call(VALIDATE, request("validate_token", internal.key, {"token": make()}))
    assert (status, body["error"]["code"]) == (401, code)


def test_a_revoked_token_is_401(internal):
    given = token()
    claims = JwtTokens(TEST_SECRETS).verify(given)
    internal.limits.revoke_token(claims["jti"], int(time.time()) + 600)
    status, _, body = call(VALIDATE, request("validate_token", internal.key, {"token": given}))
    assert (status, body["error"]["code"]) == (401, "AUTH_001")


@pytest.mark.parametrize("handler", [VALIDATE, PROCESS])
@pytest.mark.parametrize("missing", ["iam", "key", "name", "kong"])
def test_an_internal_route_needs_iam_and_a_service_key(internal, monkeypatch, handler, missing):
    name = "validate_token" if handler == VALIDATE else "process_order"
    evt = request(name, internal.key, {"token": token()} if handler == VALIDATE else {"order_id": str(uuid4())})
    if missing == "iam":
        evt["requestContext"]["identity"].pop("userArn")
    elif missing == "key":
        set_header(evt, "X-API-Key", "sk_not-ours")
    elif missing == "name":
        set_header(evt, "X-Service-Name", "another-service")
    else:
        monkeypatch.setenv("GATEWAY_MODE", "kong")
        config.forget()  # the gateway mode read again
    status, _, body = call(handler, evt)
    assert (status, body["error"]["code"]) == (401, "AUTH_001")


def test_process_sends_a_pending_orders_processing_message_again(internal):
    status, _, body = call("orders.create_order.handler", event("orders/create_order.json"))
    assert status == 201, body
    order_id = body["data"]["id"]
    internal.shop.publisher.sent.clear()
    for _ in range(2):  # idempotent: the saga takes a PENDING order once, however many messages arrive
        status, _, answer = call(PROCESS, request("process_order", internal.key, {"order_id": order_id}))
        assert (status, answer["data"]) == (
            202,
            {"order_id": order_id, "status": "PENDING", "queued": "order-processing"},
        )
    sent = [(queue, message.type, message.data["order_id"]) for queue, message in internal.shop.publisher.sent]
    assert sent == [(Queue.ORDER_PROCESSING, "order.placed", order_id)] * 2


def test_process_refuses_an_order_past_pending_and_an_unknown_one(internal):
    status, _, body = call("orders.create_order.handler", event("orders/create_order.json"))
    order_id = UUID(body["data"]["id"])
    order = internal.shop.state.orders[order_id]
    internal.shop.state.orders[order_id] = order.__class__(
        **{**{f: getattr(order, f) for f in order.__slots__}, "status": OrderStatus.CONFIRMED}
    )
    status, _, body = call(PROCESS, request("process_order", internal.key, {"order_id": str(order_id)}))
    assert (status, body["error"]["code"]) == (409, "BIZ_002")
    status, _, body = call(PROCESS, request("process_order", internal.key, {"order_id": str(uuid4())}))
    assert (status, body["error"]["code"]) == (404, "BIZ_001")
