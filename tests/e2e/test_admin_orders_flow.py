"""The admin's orders end to end through the local gateway, in Kong mode and in API Gateway mode: a customer's
order, confirmed by the real saga consumers, found by the admin with the list's filters, shipped and delivered
(each an event in its history and an email to the customer), then deleted; a customer is refused every admin
route."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from localdev.gateway_process import running_gateway
from tests.e2e.conftest import Client, token
from tests.e2e.test_orders_flow import RAISED, SETTLED_WITHIN_SECONDS, Shop, history


@pytest.fixture(scope="module", params=["kong", "apigw"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp(f"admin-orders-{request.param}")
    mail = folder / "mail"
    with running_gateway(
        request.param,
        f"sqlite:///{folder / 'orders.db'}",
        folder / "gateway.log",
        {**RAISED, "MAIL_DIRECTORY": str(mail)},
    ) as port:
        yield Shop(Client(port), mail)


def mails(shop: Shop, order_id: str, count: int) -> list[str]:
    deadline = time.monotonic() + SETTLED_WITHIN_SECONDS
    while len(shop.mails_about(order_id)) < count and time.monotonic() < deadline:
        time.sleep(0.25)
    return shop.mails_about(order_id)


def test_an_admin_finds_ships_delivers_and_deletes_a_customers_order(shop: Shop):
    admin = token("admin")
    placed = shop.place("tok_approve")
    assert placed.status == 201, placed.json
    order_id, owner = placed.json["data"]["id"], placed.json["data"]["user_id"]
    confirmed = shop.wait_for(order_id, status="CONFIRMED")

    listed = shop.call("GET", f"/admin/orders?status=CONFIRMED&user_id={owner}&order=asc&limit=100", token=admin)
    assert listed.status == 200, listed.json
    assert order_id in {o["id"] for o in listed.json["data"]}
    assert {o["status"] for o in listed.json["data"]} == {"CONFIRMED"}
    total = confirmed["total"]["amount"]
    ranged = shop.call("GET", f"/admin/orders?min_total={total}&max_total={total}&sort=total", token=admin)
    assert order_id in {o["id"] for o in ranged.json["data"]}, ranged.json
    got = shop.call("GET", f"/admin/orders/{order_id}", token=admin)
    assert (got.status, got.json["data"]["history"]) == (200, confirmed["history"])
    etag = got.headers["etag"]
    picked = shop.call("GET", f"/admin/orders?user_id={owner}&limit=100&fields=id,status", token=admin)
    assert {"id": order_id, "status": "CONFIRMED"} in picked.json["data"], picked.json
    assert {tuple(o) for o in picked.json["data"]} == {("id", "status")}
    one = shop.call("GET", f"/admin/orders/{order_id}?fields=total", token=admin)
    assert (one.status, one.json["data"]) == (200, {"total": confirmed["total"]})
    secret = shop.call("GET", "/admin/orders?fields=payment_token", token=admin)
    assert (secret.status, secret.code) == (422, "VAL_002")
    for name in ("payment_status", "total", "user_id", "history"):
        sent = {"status": "SHIPPED", "notes": None, name: got.json["data"][name]}
        owned = shop.call("PUT", f"/admin/orders/{order_id}", token=admin, body=sent)
        assert (owned.status, owned.code, owned.json["error"]["details"]["field"]) == (403, "AUTH_003", name)

    early = shop.call("DELETE", f"/admin/orders/{order_id}", token=admin)
    assert (early.status, early.code) == (409, "BIZ_002")
    skip = shop.call("PUT", f"/admin/orders/{order_id}", token=admin, body={"status": "DELIVERED", "notes": None})
    assert (skip.status, skip.code) == (409, "BIZ_002")
    shipped = shop.call(
        "PUT",
        f"/admin/orders/{order_id}",
        token=admin,
        body={"status": "SHIPPED", "notes": "Tracking 1Z999"},
        headers={"If-Match": etag},
    )
    assert (shipped.status, shipped.json["data"]["status"]) == (200, "SHIPPED"), shipped.json
    stale = shop.call(
        "PUT",
        f"/admin/orders/{order_id}",
        token=admin,
        body={"status": "DELIVERED", "notes": "Tracking 1Z999"},
        headers={"If-Match": etag},
    )
    assert (stale.status, stale.code) == (409, "BIZ_002")
    body = {"status": "DELIVERED", "notes": "Tracking 1Z999", "version": shipped.json["data"]["version"]}
    delivered = shop.call("PUT", f"/admin/orders/{order_id}", token=admin, body=body)
    assert delivered.status == 200, delivered.json

    seen = shop.call("GET", f"/orders/{order_id}").json["data"]  # as its owner sees it
    assert (seen["status"], seen["notes"]) == ("DELIVERED", "Tracking 1Z999")
    assert history(seen)[-2:] == [("shipped", "SHIPPED"), ("delivered", "DELIVERED")]
    short = order_id[:8]
    assert mails(shop, order_id, 3) == [
        f"Your order {short} is confirmed",
        f"Your order {short} has shipped",
        f"Your order {short} was delivered",
    ]

    assert shop.call("DELETE", f"/admin/orders/{order_id}", token=admin).status == 204
    assert shop.call("GET", f"/orders/{order_id}").status == 404
    assert shop.call("GET", f"/admin/orders/{order_id}", token=admin).status == 404
    gone = shop.call("GET", f"/admin/orders?user_id={owner}&limit=100", token=admin)
    assert order_id not in {o["id"] for o in gone.json["data"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/orders"),
        ("GET", "/admin/orders/7b3e9d10-0001-4000-8000-000000000001"),
        ("PUT", "/admin/orders/7b3e9d10-0001-4000-8000-000000000001"),
        ("DELETE", "/admin/orders/7b3e9d10-0001-4000-8000-000000000001"),
    ],
)
def test_a_customer_is_refused_every_admin_order_route(shop: Shop, method: str, path: str):
    body = {"status": "SHIPPED", "notes": None} if method == "PUT" else None
    reply = shop.call(method, path, body=body)
    assert (reply.status, reply.code) == (403, "AUTH_003"), reply.json


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("status=LOST", 422, "VAL_002"),
        ("user_id=nobody", 422, "VAL_002"),
        ("min_total=20&max_total=10", 422, "VAL_003"),
        ("sort=name", 422, "VAL_002"),
        ("limit=101", 422, "VAL_003"),
    ],
)
def test_bad_admin_list_queries_are_4xx_in_the_envelope(shop: Shop, query: str, status: int, code: str):
    reply = shop.call("GET", f"/admin/orders?{query}", token=token("admin"))
    assert (reply.status, reply.code) == (status, code), reply.json
