"""The service routes' handlers: who gets in (service role AND a service key), and what they answer."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from storefront import bootstrap
from storefront.application.service_keys import issue_service_key
from storefront.domain.products import Product
from tests.conftest import details
from tests.fakes import FakeCatalog, FakeServiceKeyStore
from tests.unit.handlers import call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
ROUTES = [
    ("services.batch_products.handler", "services/batch_products.json"),
    ("services.bulk_update_products.handler", "services/bulk_update_products.json"),
    ("services.sync_products.handler", "services/sync_products.json"),
]


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeCatalog, str]:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("SYNC_LAG_SECONDS", "0")
    catalog, keys = FakeCatalog(), FakeServiceKeyStore()
    key = issue_service_key(keys.ports, TENANT, "demo-service", "test").key
    bootstrap.provide(catalog=catalog.ports, service_keys=keys.ports)
    return catalog, key


def request(name: str, key: str | None, **changes: Any) -> dict[str, Any]:
    evt = event(name, **changes)
    if key is None:
        evt["headers"].pop("X-API-Key")
        evt["multiValueHeaders"].pop("X-API-Key")
    else:
        set_header(evt, "X-API-Key", key)
    return evt


@pytest.mark.parametrize(("handler", "name"), ROUTES)
@pytest.mark.parametrize(
    ("role", "key", "status", "code"),
    [
        ("service", "good", 200, None),
        ("service", None, 401, "AUTH_001"),
        ("service", "sk_not-a-key-of-ours", 401, "AUTH_001"),
        ("admin", "good", 403, "AUTH_003"),
        ("user", "good", 403, "AUTH_003"),
    ],
)
def test_a_service_route_needs_the_service_role_and_a_service_key(service, handler, name, role, key, status, code):
    _, good = service
    evt = request(name, good if key == "good" else key)
    evt["requestContext"]["authorizer"]["role"] = role
    answer_status, _, body = call(handler, evt)
    assert answer_status == status, body
    assert (body["error"]["code"] if code else None) == code


def test_a_key_of_another_service_name_is_refused(service):
    _, key = service
    evt = request("services/sync_products.json", key)
    set_header(evt, "X-Service-Name", "another-service")
    assert call("services.sync_products.handler", evt)[0] == 401


def test_the_key_is_checked_before_the_body_is_read(service):
    status, _, body = call("services.batch_products.handler", request("services/batch_products.json", None, body="{"))
    assert (status, body["error"]["code"]) == (401, "AUTH_001")


def test_a_batch_answers_one_result_per_item_in_input_order(service):
    catalog, key = service
    items = [
        {"sku": "A-1", "name": "One", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1},
        {"sku": "A-2", "name": "", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1},
        {"sku": "A-3", "name": "Three", "price": {"amount": "1.00", "currency": "EUR"}, "stock": "x"},
        {"sku": "A-1", "name": "Again", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1},
        {"sku": "A-5", "name": "Five", "price": {"amount": "5.00", "currency": "EUR"}, "stock": 5},
    ]
    status, _, body = call(
        "services.batch_products.handler", request("services/batch_products.json", key, body={"items": items})
    )
    assert status == 200
    results = body["data"]["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "created"),
    ]
    assert results[1]["error"]["details"]["field"] == "name"
    assert results[2]["error"]["code"] == "VAL_002"
    assert results[3]["error"]["code"] == "BIZ_002"
    assert {"timestamp", "request_id", "trace_id"} <= results[1]["error"].keys()
    assert {str(p.id) for p in catalog.repository.rows.values()} == {results[0]["id"], results[4]["id"]}


@pytest.mark.parametrize("count", [0, 1001])
def test_a_batch_holds_1_to_1000_items(service, count):
    _, key = service
    items = [{"sku": f"S-{i}"} for i in range(count)]
    status, _, body = call(
        "services.batch_products.handler", request("services/batch_products.json", key, body={"items": items})
    )
    assert (status, body["error"]["code"]) == (422, "VAL_003")


def test_a_bulk_update_reports_updated_conflict_and_failed(service):
    catalog, key = service
    product = Product.create(TENANT, details(), "seed", catalog.clock.now())
    catalog.repository.add(product)
    items = [
        {"id": str(product.id), "version": 1, "changes": {"stock": 7}},
        {"id": "5a1d2c4e-0001-4000-8000-00000000ffff", "version": 1, "changes": {"stock": 1}},
        {"id": str(product.id), "version": 1, "changes": {}},
        {"id": str(product.id), "version": 1, "changes": {"price": {"amount": "x", "currency": "EUR"}}},
        {"id": "not-a-uuid", "version": 1, "changes": {"stock": 1}},
        {"id": str(product.id), "version": 0, "changes": {"stock": 1}},
    ]
    evt = request("services/bulk_update_products.json", key, body={"items": items})
    status, _, body = call("services.bulk_update_products.handler", evt)
    assert status == 200
    results = body["data"]["results"]
    assert [r["status"] for r in results] == ["updated", "failed", "failed", "failed", "failed", "failed"]
    assert results[1]["error"]["code"] == "BIZ_001"
    assert results[3]["error"]["details"]["field"] == "changes.price.amount"
    # Outside pass: a failed item left out its id. It is there whenever the item sent a valid one (the contract's
    # {index, status, id?, error?}): a missing row, an empty or invalid change, a bad version; not for "not-a-uuid".
    assert [r.get("id") for r in results] == [
        str(product.id),
        items[1]["id"],
        *[str(product.id)] * 2,
        None,
        str(product.id),
    ]
    assert catalog.repository.rows[product.id].details.stock == 7
    stale = {"items": [{"id": str(product.id), "version": 1, "changes": {"stock": 9}}]}
    status, _, body = call(
        "services.bulk_update_products.handler", request("services/bulk_update_products.json", key, body=stale)
    )
    (result,) = body["data"]["results"]
    assert (result["status"], result["error"]["details"]["current_version"]) == ("conflict", 2)


def test_a_sync_page_shows_live_products_and_tombstones(service):
    catalog, key = service
    live = Product.create(TENANT, details(sku="LIVE"), "seed", catalog.clock.now())
    gone = Product.create(TENANT, details(sku="GONE"), "seed", catalog.clock.now())
    catalog.repository.add(live)
    catalog.repository.add(gone)
    catalog.clock.advance(1)
    catalog.repository.update(gone.delete("seed", catalog.clock.now()), 1)
    status, _, body = call("services.sync_products.handler", request("services/sync_products.json", key))
    assert status == 200
    assert body["data"][0]["id"] == str(live.id)
    assert body["data"][0]["deleted"] is False
    assert body["data"][1] == {"id": str(gone.id), "deleted": True, "deleted_at": "2026-11-24T10:00:01.000Z"}
    cursor = body["meta"]["pagination"]["next_cursor"]
    evt = request("services/sync_products.json", key, queryStringParameters={"cursor": cursor})
    status, _, body = call("services.sync_products.handler", evt)
    assert (status, body["data"], body["meta"]["pagination"]["next_cursor"]) == (200, [], None)
