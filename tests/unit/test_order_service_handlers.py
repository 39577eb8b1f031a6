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
from tests.unit.handlers import call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
PRODUCT = UUID("5a1d2c4e-0001-4000-8000-000000000001")


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeOrders, str]:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("SYNC_LAG_SECONDS", "0")
    shop, keys = FakeOrders(), FakeServiceKeyStore()
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
