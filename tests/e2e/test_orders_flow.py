"""Orders end to end through the local gateway, in Kong mode and in API Gateway mode: the real pollers invoke
the consumers on moto's SQS, the payment consumer calls the fake provider the gateway serves, the emails are
written to disk. Everything is asserted as a client sees it (the order's status, payment status and history,
the product's stock) plus the mail files and the fake provider's ledger."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localdev.gateway_process import running_gateway
from localdev.stack import DEMO_PRODUCTS
from tests.e2e.conftest import Client, Reply, token

# Logins of the demo user from one address: out of reach of the public routes' 10 a minute.
RAISED = {"RATE_LIMITS": "1000/minute,10000/hour,100000/day"}
MUG = str(DEMO_PRODUCTS[0][0])
ADDRESS = {"line1": "1 Rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
SETTLED_WITHIN_SECONDS = 30  # the happy paths take about a second: the pollers wait 1 s per empty receive


class Shop:
    """The demo user's view of one gateway, and the folder its emails land in."""

    def __init__(self, client: Client, mail: Path) -> None:
        self.client = client
        self.mail = mail
        login = client.call(
            "POST", "/public/auth/login", body={"login": "demo-user", "password": "storefront-demo-user"}
        )
        assert login.status == 200, login.json
        self.token = str(login.json["data"]["access_token"])

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        return self.client.call(method, path, token=kwargs.pop("token", self.token), **kwargs)

    def stock(self, product_id: str = MUG) -> int:
        reply = self.call("GET", f"/products/{product_id}")
        assert reply.status == 200, reply.json
        return int(reply.json["data"]["stock"])

    def place(self, payment_token: str, quantity: int = 2, key: str | None = None) -> Reply:
        body = {"items": [{"product_id": MUG, "quantity": quantity}], "shipping_address": ADDRESS}
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return self.call("POST", "/orders", body={**body, "payment_token": payment_token}, headers=headers)

    def wait_for(self, order_id: str, **expected: str) -> dict[str, Any]:
        """The order once every ``field=value`` of ``expected`` holds (fails after SETTLED_WITHIN_SECONDS)."""
        deadline = time.monotonic() + SETTLED_WITHIN_SECONDS
        while True:
            reply = self.call("GET", f"/orders/{order_id}")
            assert reply.status == 200, reply.json
            order: dict[str, Any] = reply.json["data"]
            if all(order[field] == value for field, value in expected.items()):
                return order
            assert time.monotonic() < deadline, f"still {order['status']}/{order['payment_status']}: {order}"
            time.sleep(0.25)

    def mails_about(self, order_id: str) -> list[str]:
        """The subjects of the emails about ``order_id`` (one .eml file each)."""
        subjects = []
        for path in sorted(self.mail.glob("*.eml")):
            text = path.read_text()
            if order_id in text:
                subjects.append(next(line for line in text.splitlines() if line.startswith("Subject: "))[9:])
        return subjects

    def ledger(self) -> dict[str, Any]:
        """The fake payment provider's ledger (served by the gateway, outside the API's prefix)."""
        url = f"http://127.0.0.1:{self.client.port}/_local/payment-provider/v1/ledger"
        with urllib.request.urlopen(url, timeout=10) as response:
            return dict(json.loads(response.read()))


@pytest.fixture(scope="module", params=["kong", "apigw"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp(f"orders-{request.param}")
    mail = folder / "mail"
    environment = {**RAISED, "MAIL_DIRECTORY": str(mail)}
    with running_gateway(
        request.param, f"sqlite:///{folder / 'orders.db'}", folder / "gateway.log", environment
    ) as port:
        yield Shop(Client(port), mail)


def history(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(event["kind"], event["to_status"]) for event in order["history"]]


def test_an_approved_order_is_confirmed_within_seconds(shop: Shop):
    before = shop.stock()
    placed = shop.place("tok_approve")
    assert placed.status == 201, placed.json
    assert (placed.json["data"]["status"], placed.json["data"]["payment_status"]) == ("PENDING", "pending")
    assert "payment_token" not in placed.json["data"]
    order_id = placed.json["data"]["id"]

    started = time.monotonic()
    order = shop.wait_for(order_id, status="CONFIRMED")
    assert time.monotonic() - started < 10
    assert order["payment_status"] == "captured"
    # the charge's first attempt is written before the provider is called (a cancellation then settles it)
    assert history(order) == [
        ("placed", "PENDING"),
        ("reserved", "RESERVED"),
        ("payment", "RESERVED"),
        ("confirmed", "CONFIRMED"),
    ]
    assert shop.stock() == before - 2
    assert shop.ledger()["made_per_key"][f"charge:{order_id}"] == 1
    deadline = time.monotonic() + SETTLED_WITHIN_SECONDS
    while not shop.mails_about(order_id) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert shop.mails_about(order_id) == [f"Your order {order_id[:8]} is confirmed"]


def test_a_declined_order_fails_and_its_stock_comes_back(shop: Shop):
    before = shop.stock()
    placed = shop.place("tok_decline")
    assert placed.status == 201, placed.json
    order_id = placed.json["data"]["id"]

    order = shop.wait_for(order_id, status="FAILED")
    assert order["payment_status"] == "declined"
    assert history(order) == [
        ("placed", "PENDING"),
        ("reserved", "RESERVED"),
        ("payment", "RESERVED"),
        ("failed", "FAILED"),
    ]
    assert "card_declined" in order["history"][-1]["detail"]
    assert shop.stock() == before
    deadline = time.monotonic() + SETTLED_WITHIN_SECONDS
    while not shop.mails_about(order_id) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert shop.mails_about(order_id) == [f"Your order {order_id[:8]} could not be completed"]


def test_a_confirmed_order_cancelled_is_refunded_and_its_stock_comes_back(shop: Shop):
    before = shop.stock()
    order_id = shop.place("tok_approve").json["data"]["id"]
    confirmed = shop.wait_for(order_id, status="CONFIRMED")
    assert shop.stock() == before - 2

    cancelled = shop.call("POST", f"/orders/{order_id}/cancel", headers={"If-Match": f'"v{confirmed["version"]}"'})
    assert cancelled.status == 200, cancelled.json
    assert (cancelled.json["data"]["status"], cancelled.json["data"]["payment_status"]) == (
        "CANCELLED",
        "refund_requested",
    )
    assert shop.stock() == before  # released in the cancel's own transaction

    order = shop.wait_for(order_id, payment_status="refunded")
    assert order["status"] == "CANCELLED"
    assert history(order)[-2:] == [("cancelled", "CANCELLED"), ("payment", "CANCELLED")]
    ledger = shop.ledger()
    assert ledger["made_per_key"][f"refund:{order_id}"] == 1
    assert [r["amount"] for r in ledger["refunds"] if r["idempotency_key"] == f"refund:{order_id}"] == ["25.00"]
    deadline = time.monotonic() + SETTLED_WITHIN_SECONDS
    while len(shop.mails_about(order_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert shop.mails_about(order_id) == [
        f"Your order {order_id[:8]} is confirmed",
        f"Your order {order_id[:8]} was cancelled",
    ]

    again = shop.call("POST", f"/orders/{order_id}/cancel")
    assert (again.status, again.code) == (409, "BIZ_002")


def test_another_users_order_is_404_to_a_user_and_reached_by_an_admin_of_the_tenant(shop: Shop):
    order_id = shop.place("tok_approve").json["data"]["id"]
    stranger = token("user", sub=str(uuid.uuid4()))
    foreign_admin = token("admin", tenant=str(uuid.uuid4()))
    for caller in (stranger, foreign_admin):
        for method, path in (("GET", f"/orders/{order_id}"), ("POST", f"/orders/{order_id}/cancel")):
            reply = shop.call(method, path, token=caller)
            assert (reply.status, reply.code) == (404, "BIZ_001"), (method, reply.json)
    listed = shop.call("GET", "/orders", token=stranger)
    assert listed.status == 200
    assert order_id not in {o["id"] for o in listed.json["data"]}
    admin = token("admin")
    shop.wait_for(order_id, status="CONFIRMED")  # settled: no saga step moves its version under the cancel
    seen = shop.call("GET", f"/orders/{order_id}", token=admin)
    assert seen.status == 200, seen.json
    version = seen.json["data"]["version"]
    cancelled = shop.call("POST", f"/orders/{order_id}/cancel", token=admin, body={"version": version})
    assert (cancelled.status, cancelled.json["data"]["status"]) == (200, "CANCELLED"), cancelled.json


SERVER_SET = {"status": "DELIVERED", "payment_status": "captured", "user_id": str(uuid.uuid4()), "total": {}}


def test_a_field_only_the_server_sets_is_403_naming_it_and_read_only_fields_are_ignored(shop: Shop):
    body = {"items": [{"product_id": MUG, "quantity": 1}], "shipping_address": ADDRESS, "payment_token": "tok_approve"}
    for field, value in SERVER_SET.items():
        reply = shop.call("POST", "/orders", body={**body, field: value})
        assert (reply.status, reply.code, reply.json["error"]["details"]["field"]) == (403, "AUTH_003", field)
    placed = shop.call("POST", "/orders", body={**body, "version": 9, "id": str(uuid.uuid4()), "created_by": "x"})
    assert (placed.status, placed.json["data"]["version"]) == (201, 1), placed.json
    order_id = placed.json["data"]["id"]
    for method in ("PUT", "PATCH"):
        reply = shop.call(method, f"/orders/{order_id}", body={"shipping_address": ADDRESS, "status": "CANCELLED"})
        assert (reply.status, reply.code, reply.json["error"]["details"]["field"]) == (403, "AUTH_003", "status")


def test_an_address_line_with_a_line_break_or_control_character_or_left_blank_is_422(shop: Shop):
    body = {"items": [{"product_id": MUG, "quantity": 1}], "payment_token": "tok_approve"}
    for field, value in (("line1", "1 Rue\r\nBcc: x"), ("line2", "B\u2028C"), ("city", "Paris\x1b"), ("city", "  ")):
        reply = shop.call("POST", "/orders", body={**body, "shipping_address": {**ADDRESS, field: value}})
        assert (reply.status, reply.json["error"]["details"]["field"]) == (422, f"shipping_address.{field}")
    blank = shop.call("POST", "/orders", body={**body, "shipping_address": ADDRESS, "payment_token": "   "})
    assert (blank.status, blank.json["error"]["details"]["reason"]) == (422, "must not be blank")


def test_cancel_takes_an_optional_version_and_refuses_bad_bodies(shop: Shop):
    order_id = shop.place("tok_approve").json["data"]["id"]
    shop.wait_for(order_id, status="CONFIRMED")
    path = f"/orders/{order_id}/cancel"
    refused = [
        ({"version": 99}, {}, 409, "BIZ_002"),
        ({"reason": "no"}, {}, 422, "VAL_002"),
        ("[1]", {}, 422, "VAL_002"),
        ("{", {}, 400, "VAL_001"),
        ('{"version": 1}', {"Content-Type": "text/plain"}, 415, "VAL_002"),
        (None, {"If-Match": '"v99"'}, 409, "BIZ_002"),
    ]
    for body, headers, status, code in refused:
        reply = shop.call("POST", path, body=body, headers=headers)
        assert (reply.status, reply.code) == (status, code), (body, reply.json)
    current = shop.wait_for(order_id, status="CONFIRMED")["version"]
    reply = shop.call("POST", path, body={"version": current})
    assert (reply.status, reply.json["data"]["status"]) == (200, "CANCELLED"), reply.json


def test_orders_select_fields(shop: Shop):
    order_id = shop.place("tok_approve").json["data"]["id"]
    listed = shop.call("GET", "/orders?fields=id,status&limit=5")
    assert listed.status == 200, listed.json
    assert all(set(o) == {"id", "status"} for o in listed.json["data"])
    one = shop.call("GET", f"/orders/{order_id}?fields=total")
    assert (one.status, set(one.json["data"])) == (200, {"total"})
    for path in ("/orders?fields=payment_token", f"/orders/{order_id}?fields=nope"):
        reply = shop.call("GET", path)
        assert (reply.status, reply.code, reply.json["error"]["details"]["field"]) == (422, "VAL_002", "fields")


def test_an_idempotency_key_replayed_answers_the_first_response_byte_for_byte(shop: Shop):
    key = f"e2e-{uuid.uuid4()}"
    first = shop.place("tok_approve", key=key)
    assert first.status == 201, first.json
    replay = shop.place("tok_approve", key=key)
    assert (replay.status, replay.raw) == (first.status, first.raw)
    # the body is the first one (its meta.request_id too); the headers say it is a replay of which request
    assert (first.headers.get("idempotent-replayed"), replay.headers["idempotent-replayed"]) == (None, "true")
    assert replay.headers["x-request-id"] != first.headers["x-request-id"] == first.json["meta"]["request_id"]
    assert replay.headers["x-request-id"]
    assert json.loads(replay.raw)["data"]["id"] == first.json["data"]["id"]
    other_body = shop.place("tok_approve", quantity=1, key=key)
    assert (other_body.status, other_body.code) == (409, "BIZ_002")
    mine = shop.call("GET", "/orders?limit=100")
    assert [o["id"] for o in mine.json["data"]].count(first.json["data"]["id"]) == 1


def test_only_an_existing_account_places_an_order(shop: Shop):
    body = {"items": [{"product_id": MUG, "quantity": 1}], "shipping_address": ADDRESS, "payment_token": "tok_approve"}
    for caller in (token("service"), token("user", sub=str(uuid.uuid4()))):
        reply = shop.call("POST", "/orders", body=body, token=caller)
        assert (reply.status, reply.code, reply.json["error"]["message"]) == (404, "BIZ_001", "User not found")
    assert shop.call("POST", "/orders", body=body).status == 201


def test_two_gateways_on_one_database_share_the_fake_providers_ledger_and_a_refund_always_finds_its_charge(
    tmp_path: Path,
):
    """Outside pass: two `make run` on one database (different PORTs): whichever gateway's poller took the
    refund asked its own provider, which had never seen the charge (charge_not_found): stuck at refund_requested."""
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with (
        running_gateway("kong", database_url, tmp_path / "first.log", RAISED) as first_port,
        running_gateway("apigw", database_url, tmp_path / "second.log", RAISED) as second_port,
    ):
        first = Shop(Client(first_port, database_url), tmp_path)
        second = Shop(Client(second_port, database_url), tmp_path)
        placed = first.place("tok_approve")
        assert placed.status == 201, placed.json
        order_id = placed.json["data"]["id"]
        confirmed = first.wait_for(order_id, status="CONFIRMED")
        cancelled = second.call(
            "POST", f"/orders/{order_id}/cancel", headers={"If-Match": f'"v{confirmed["version"]}"'}
        )
        assert cancelled.status == 200, cancelled.json
        assert second.wait_for(order_id, payment_status="refunded")["status"] == "CANCELLED"
        for ledger in (first.ledger(), second.ledger()):  # one ledger, whichever gateway serves it
            assert ledger["made_per_key"] == {f"charge:{order_id}": 1, f"refund:{order_id}": 1}
            assert [r["status"] for r in ledger["refunds"]] == ["refunded"]


def place_and_patch_while_delayed(shop: Shop) -> str:
    """Place an order on a gateway with ORDER_PROCESSING_DELAY_SECONDS, then PATCH its notes while it is PENDING
    (after the pollers had time to move it, were it not delayed); its id."""
    placed = shop.place("tok_approve")
    assert placed.status == 201, placed.json
    order_id = str(placed.json["data"]["id"])
    time.sleep(1.5)  # the pollers long-poll 1 s: without the delay the saga would have moved it by now
    patched = shop.call("PATCH", f"/orders/{order_id}", body={"notes": "Ring twice"}, headers={"If-Match": '"v1"'})
    assert patched.status == 200, patched.json
    assert (patched.json["data"]["status"], patched.json["data"]["notes"]) == ("PENDING", "Ring twice")
    return order_id


def test_with_an_order_delay_a_new_order_stays_pending_and_can_be_patched_then_completes(tmp_path: Path):
    """`make run ORDER_DELAY=<s>` (README "Payments"): order-processing messages carry SQS DelaySeconds, so the
    PENDING window in which PUT/PATCH/DELETE are allowed lasts that long instead of ~50 ms."""
    database_url = f"sqlite:///{tmp_path / 'delayed.db'}"
    environment = {**RAISED, "ORDER_PROCESSING_DELAY_SECONDS": "3"}
    with running_gateway("kong", database_url, tmp_path / "gateway.log", environment) as port:
        shop = Shop(Client(port, database_url), tmp_path)
        order_id = place_and_patch_while_delayed(shop)
        order = shop.wait_for(order_id, status="CONFIRMED")
        assert (order["payment_status"], order["notes"]) == ("captured", "Ring twice")


def test_an_order_whose_delayed_message_was_pending_at_a_stop_is_confirmed_after_the_restart(tmp_path: Path):
    """Issue 8: `make run ORDER_DELAY=20`, place an order, PATCH it, Ctrl-C within the delay, `make run` again:
    the order stayed PENDING forever (the delayed message died with moto's memory). The stop keeps it now."""
    database_url = f"sqlite:///{tmp_path / 'restarted.db'}"
    environment = {**RAISED, "ORDER_PROCESSING_DELAY_SECONDS": "6"}
    with running_gateway("kong", database_url, tmp_path / "first.log", environment) as port:
        order_id = place_and_patch_while_delayed(Shop(Client(port, database_url), tmp_path))
    # stopped with SIGTERM, as Ctrl-C stops it, before the delay ended
    with running_gateway("kong", database_url, tmp_path / "second.log", RAISED) as port:
        shop = Shop(Client(port, database_url), tmp_path)
        order = shop.wait_for(order_id, status="CONFIRMED")
        assert (order["payment_status"], order["notes"]) == ("captured", "Ring twice")
    assert "the local SQS restored" in (tmp_path / "second.log").read_text()
