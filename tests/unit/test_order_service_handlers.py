"""GET services/orders/sync against the fakes: every user's orders of the tenant, deleted ones as tombstones."""

from __future__ import annotations

from uuid import UUID

import pytest

from storefront import bootstrap
from storefront.application.service_keys import issue_service_key
from storefront.domain.money import Money
from storefront.domain.products import Product
from tests.conftest import details
from tests.fakes import FakeOrders, FakeServiceKeyStore
from tests.unit.handlers import SAMPLE_BUYER, call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
PRODUCT = UUID("5a1d2c4e-0001-4000-8000-000000000001")


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeOrders, str]:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("SYNC_LAG_SECONDS", "0")
    shop, keys = FakeOrders(), FakeServiceKeyStore()
    shop.account(SAMPLE_BUYER)
    tea = Product.create(TENANT, details(stock=10, price=Money.of("8.90", "EUR")), "admin", shop.clock.now())
    shop.state.products[PRODUCT] = tea.__class__(**{**{f: getattr(tea, f) for f in tea.__slots__}, "id": PRODUCT})
    key = issue_service_key(keys.ports, TENANT, "demo-service", "test").key
    bootstrap.provide(orders=shop.ports, service_keys=keys.ports)
    return shop, key


def test_a_sync_page_shows_orders_with_items_and_history_then_tombstones(service):
    shop, key = service
    ids = []
    for _ in range(2):
        status, _, body = call("orders.create_order.handler", event("orders/create_order.json"))
        assert status == 201, body
        ids.append(UUID(body["data"]["id"]))
    shop.clock.advance(1)
    gone = shop.state.orders[ids[1]]
    shop.state.orders[ids[1]] = gone.__class__(
        **{
            **{f: getattr(gone, f) for f in gone.__slots__},
            "deleted_at": shop.clock.now(),
            "updated_at": shop.clock.now(),
        }
    )
    request = set_header(event("services/sync_orders.json"), "X-API-Key", key)
    status, _, body = call("services.sync_orders.handler", request)
    assert status == 200, body
    first, second = body["data"]
    assert (first["id"], first["deleted"], first["status"]) == (str(ids[0]), False, "PENDING")
    assert first["items"][0]["product_id"] == str(PRODUCT)
    assert first["history"]
    assert "payment_token" not in first
    assert second == {"id": str(ids[1]), "deleted": True, "deleted_at": "2026-11-24T10:00:01.000Z"}
    assert body["meta"]["pagination"]["has_next"] is False


ADDRESS = {"line1": "1 Rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}


def order_for(user: str, **changes: object) -> dict:
    return {
        "user_id": user,
        "items": [{"product_id": str(PRODUCT), "quantity": 1}],
        "shipping_address": ADDRESS,
        "payment_token": "tok_approve",
        **changes,
    }


def test_a_batch_places_valid_orders_for_live_users_through_the_saga(service):
    from uuid import uuid4

    from storefront.domain.users import UserStatus
    from storefront.messages.envelope import Queue

    shop, key = service
    ada, gone, banned, elsewhere = str(uuid4()), uuid4(), uuid4(), uuid4()
    shop.state.accounts[(TENANT, UUID(ada))] = UserStatus.ACTIVE
    shop.state.accounts[(TENANT, banned)] = UserStatus.BANNED
    shop.state.accounts[(uuid4(), elsewhere)] = UserStatus.ACTIVE  # another tenant's user
    items = [
        order_for(ada),
        order_for(str(gone)),  # no such user (or a deleted one: no live account)
        order_for(ada, items=[]),  # no line
        order_for(ada, items=[{"product_id": str(uuid4()), "quantity": 1}]),  # no such product
        order_for(ada, items=[{"product_id": str(PRODUCT), "quantity": 11}]),  # over the stock (10)
        {"items": []},  # no user, no address, no token
        order_for(ada, notes="second"),
        order_for(str(banned)),  # a banned account orders nothing
        order_for(str(elsewhere)),  # nor does another tenant's
    ]
    request = set_header(event("services/batch_orders.json", body={"items": items}), "X-API-Key", key)
    status, _, body = call("services.batch_orders.handler", request)
    assert status == 200, body
    results = body["data"]["results"]
    assert [r["status"] for r in results] == ["created", *["failed"] * 5, "created", "failed", "failed"]
    codes = [r["error"]["code"] for r in results[1:6] + results[7:]]
    assert codes == ["BIZ_001", "VAL_003", "VAL_002", "BIZ_003", "VAL_001", "BIZ_001", "BIZ_001"]
    placed = [shop.state.orders[UUID(results[i]["id"])] for i in (0, 6)]
    assert [(o.status.value, str(o.user_id)) for o in placed] == [("PENDING", ada)] * 2
    sent = [(queue, message.type, message.data["order_id"]) for queue, message in shop.publisher.sent]
    assert sent == [(Queue.ORDER_PROCESSING, "order.placed", str(o.id)) for o in placed]


def test_a_bulk_update_amends_pending_orders_at_their_version(service):
    from uuid import uuid4

    from storefront.domain.orders import OrderStatus

    shop, key = service
    created = [
        call("orders.create_order.handler", event("orders/create_order.json"))[2]["data"]["id"] for _ in range(2)
    ]
    confirmed = shop.state.orders[UUID(created[1])]
    shop.state.orders[confirmed.id] = confirmed.__class__(
        **{**{f: getattr(confirmed, f) for f in confirmed.__slots__}, "status": OrderStatus.CONFIRMED}
    )
    items = [
        {"id": created[0], "version": 1, "changes": {"notes": "Ring twice"}},
        {"id": created[1], "version": 1, "changes": {"notes": "Too late"}},  # past PENDING
        {"id": created[0], "version": 1, "changes": {"notes": "Again"}},  # the same order twice
        {"id": str(uuid4()), "version": 1, "changes": {"notes": "Nobody's"}},
        {"id": created[0], "version": 1, "changes": {"shipping_address": None}},
    ]
    request = set_header(event("services/bulk_update_orders.json", body={"items": items}), "X-API-Key", key)
    status, _, body = call("services.bulk_update_orders.handler", request)
    assert status == 200, body
    results = body["data"]["results"]
    assert [r["status"] for r in results] == ["updated", "failed", "failed", "failed", "failed"]
    assert [r["error"]["code"] for r in results[1:]] == ["BIZ_002", "BIZ_002", "BIZ_001", "VAL_001"]
    amended = shop.state.orders[UUID(created[0])]
    assert (amended.notes, amended.version, amended.history[-1].kind.value) == ("Ring twice", 2, "amended")
    stale = {"items": [{"id": created[0], "version": 1, "changes": {"notes": "Stale"}}]}
    request = set_header(event("services/bulk_update_orders.json", body=stale), "X-API-Key", key)
    (result,) = call("services.bulk_update_orders.handler", request)[2]["data"]["results"]
    assert (result["status"], result["error"]["details"]["current_version"]) == ("conflict", 2)
