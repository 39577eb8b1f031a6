"""Local processes on one database share one cache stand-in: a write through one is never served stale by another."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from localdev.gateway_process import running_gateway
from localdev.redis_stand_in import record_path
from localdev.stack import DEMO_ACCOUNTS, DEMO_PRODUCTS
from tests.e2e.conftest import Client, token

NEW = {"sku": "SHARED-1", "name": "Shared mug", "price": {"amount": "5.00", "currency": "EUR"}, "stock": 10}
ORDER = {
    "items": [{"product_id": str(DEMO_PRODUCTS[0][0]), "quantity": 1}],
    "payment_token": "tok_approve",
    "shipping_address": {"line1": "1 Rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"},
}


@contextmanager
def gateway(mode: str, database_url: str, log: Path) -> Iterator[Client]:
    """`make run` in another terminal: the local gateway in ``mode`` on ``database_url``, without REDIS_URL."""
    with running_gateway(mode, database_url, log) as port:
        yield Client(port)


def read(client: Client, product_id: str) -> tuple[str, int]:
    reply = client.call("GET", f"/products/{product_id}", token=token("admin"))
    assert reply.status == 200, reply.json
    return reply.headers["x-cache"], reply.json["data"]["stock"]


def change_stock(client: Client, product_id: str, stock: int) -> None:
    reply = client.call("PATCH", f"/products/{product_id}", token=token("admin"), body={"stock": stock})
    assert reply.status == 200, reply.json


def test_two_stacks_share_one_stand_in_and_a_write_through_one_invalidates_the_other(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with (
        gateway("kong", database_url, tmp_path / "kong.log") as kong,
        gateway("apigw", database_url, tmp_path / "apigw.log") as apigw,
    ):
        created = kong.call("POST", "/products", token=token("admin"), body=NEW)
        assert created.status == 201, created.json
        product_id = created.json["data"]["id"]

        assert [read(apigw, product_id), read(apigw, product_id)] == [("MISS", 10), ("HIT", 10)]
        change_stock(kong, product_id, 7)
        assert read(apigw, product_id) == ("MISS", 7)
        assert read(kong, product_id) == ("HIT", 7)  # apigw's read filled the cache kong reads
        change_stock(apigw, product_id, 3)
        assert read(kong, product_id) == ("MISS", 3)
    assert not record_path(database_url).exists(), "the last process to stop removes the record"


def test_when_the_owner_stops_the_others_miss_and_no_new_stand_in_can_go_stale(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with ExitStack() as owner_running:
        owner = owner_running.enter_context(gateway("kong", database_url, tmp_path / "owner.log"))
        with gateway("apigw", database_url, tmp_path / "survivor.log") as survivor:
            product_id = owner.call("POST", "/products", token=token("admin"), body=NEW).json["data"]["id"]
            assert [read(survivor, product_id), read(survivor, product_id)] == [("MISS", 10), ("HIT", 10)]
            owner_running.close()  # the owner stops, and its stand-in with it

            assert [read(survivor, product_id), read(survivor, product_id)] == [("MISS", 10), ("MISS", 10)]
            # Without Redis, a route open only to admins cannot check its token's revocation: it refuses.
            refused = survivor.call("PATCH", f"/products/{product_id}", token=token("admin"), body={"stock": 1})
            assert (refused.status, refused.code) == (503, "SYS_003")
            assert_keyed_orders_refused(survivor)
            # A process started now must not cache in a new stand-in that the survivor's writes would not reach.
            with gateway("kong", database_url, tmp_path / "late.log") as late:
                assert [read(late, product_id), read(late, product_id)] == [("MISS", 10), ("MISS", 10)]
                assert_keyed_orders_refused(late)
    assert not record_path(database_url).exists()


def assert_keyed_orders_refused(client: Client) -> None:
    """Outside pass (issue 8): with the stand-in gone one Idempotency-Key placed two orders (and two charges).
    A keyed order is now 503 with Retry-After and places nothing; one without a key is placed."""
    buyer = token("user", sub=str(DEMO_ACCOUNTS[1][0]))
    key = {"Idempotency-Key": f"stand-in-gone-{client.port}"}
    mine = client.call("GET", "/orders", token=buyer).json["meta"]["pagination"]["total"]
    answers = [client.call("POST", "/orders", token=buyer, body=ORDER, headers=key) for _ in "ab"]
    assert [(a.status, a.code) for a in answers] == [(503, "SYS_003")] * 2
    assert answers[0].headers["retry-after"] == "5"
    assert client.call("GET", "/orders", token=buyer).json["meta"]["pagination"]["total"] == mine, "none placed"
    placed = client.call("POST", "/orders", token=buyer, body=ORDER)
    assert placed.status == 201, placed.json
    assert client.call("GET", "/orders", token=buyer).json["meta"]["pagination"]["total"] == mine + 1
