"""Round trips per request, counted exactly at the wire: PostgreSQL and Redis behind counting proxies.

A warm container runs the real handlers; each test counts the client flights (round trips) that one
request sends to PostgreSQL and to Redis, and the SQL statements it runs. Every request's first Redis
round trip is the rate limiter's check (its limits and its token's revocation, in one script).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from localdev.stack import DEMO_TENANT
from localdev.wire import CountingProxy
from storefront import bootstrap
from storefront.adapters.cache.rate_limiter import RedisRevocations
from tests.integration.conftest import REDIS_URL
from tests.unit.handlers import call, set_header
from tests.unit.handlers import event as sample_event


@dataclass
class Wire:
    db: CountingProxy
    redis: CountingProxy
    statements: list[str]
    application_name: str


@pytest.fixture
def wire(postgresql_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    postgres = make_url(postgresql_url)
    redis = make_url(REDIS_URL)
    application_name = f"round_trips_{uuid.uuid4().hex[:8]}"
    with (
        CountingProxy(postgres.host or "127.0.0.1", postgres.port or 5432) as db,
        CountingProxy(redis.host or "127.0.0.1", redis.port or 6379) as cache,
    ):
        url = postgres.set(port=db.port).update_query_dict({"application_name": application_name})
        monkeypatch.setenv("GATEWAY_MODE", "apigw")
        monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{cache.port}{redis.database and '/' + redis.database}")
        # Three windows as in production, wide enough for every request of this module (the sample events
        # share one user): the check costs what a default one costs, the same script over as many keys.
        monkeypatch.setenv("RATE_LIMITS", "10000/minute,100000/hour,1000000/day")
        bootstrap.reset()
        statements: list[str] = []
        wired = Wire(db, cache, statements, application_name)
        # A warm container: the pooled database connection and the Redis connection are open.
        assert get(create("warm-up")["id"]) == (200, "MISS")
        event.listen(bootstrap.engine(), "before_cursor_execute", lambda *args: statements.append(args[2]))
        yield wired
        bootstrap.engine().dispose()
        bootstrap.reset()


def request(name: str, product_id: str | None = None, **changes: Any) -> dict[str, Any]:
    evt = sample_event(f"products/{name}.json", **changes)
    if product_id is not None:
        evt["path"] = f"/KONGAPI/api/v1/products/{product_id}"
        evt["pathParameters"] = {"product_id": product_id}
    return evt


def create(sku: str) -> dict[str, Any]:
    body = {
        "sku": f"{sku}-{uuid.uuid4().hex[:8]}",
        "name": "Round trip",
        "price": {"amount": "1.00", "currency": "EUR"},
        "stock": 1,
    }
    status, _, answer = call("products.create_product.handler", request("create_product", body=body))
    assert status == 201, answer
    data: dict[str, Any] = answer["data"]
    return data


def get(product_id: str) -> tuple[int, str]:
    status, headers, _ = call("products.get_product.handler", request("get_product", product_id))
    return status, headers["X-Cache"][0] if "X-Cache" in headers else ""


def verbs(statements: list[str]) -> list[str]:
    return [s.split()[0].upper() for s in statements]


def test_a_cache_miss_is_one_database_round_trip_and_a_redis_get_and_set(wire):
    product = create("miss")
    wire.statements.clear()
    with wire.db.counting() as db, wire.redis.counting() as redis:
        assert get(product["id"]) == (200, "MISS")
    assert (db.flights, db.connections) == (1, 0)
    assert verbs(wire.statements) == ["SELECT"]
    assert redis.flights == 3  # the rate limiter's check, GET, then SET


def test_a_cache_hit_costs_no_database_round_trip(wire):
    product = create("hit")
    get(product["id"])
    wire.statements.clear()
    with wire.db.counting() as db, wire.redis.counting() as redis:
        assert get(product["id"]) == (200, "HIT")
    assert (db.flights, db.connections, wire.statements) == (0, 0, [])
    assert redis.flights == 2  # the check, GET


def test_a_create_is_begin_insert_of_the_row_and_its_search_terms_commit(wire):
    with wire.db.counting() as db, wire.redis.counting() as redis:
        create("create")
    # psycopg sends BEGIN on its own before the first statement of a transaction; the terms go in one batch.
    assert db.flights == 4
    assert verbs(wire.statements) == ["INSERT", "INSERT"]
    assert redis.flights == 2  # the check, DEL of the tenant's remembered list totals


# SELECT (autocommit), then BEGIN, UPDATE ... WHERE VERSION = :expected, COMMIT; a new name (or a delete)
# also replaces the product's search terms (DELETE, and INSERT of the new ones).
@pytest.mark.parametrize(
    ("name", "new_name", "status", "statements"),
    [
        ("update_product", None, 200, ["SELECT", "UPDATE"]),
        ("replace_product", "same", 200, ["SELECT", "UPDATE"]),
        ("replace_product", "Renamed", 200, ["SELECT", "UPDATE", "DELETE", "INSERT"]),
        ("delete_product", None, 204, ["SELECT", "UPDATE", "DELETE"]),
    ],
)
def test_a_write_reads_the_row_then_updates_it_in_one_transaction(wire, name, new_name, status, statements):
    product = create("write")
    changes: dict = {"body": {"stock": 7}} if name == "update_product" else {}
    if name == "replace_product":
        renamed = product["name"] if new_name == "same" else new_name
        changes = {"body": {"sku": product["sku"], "name": renamed, "price": product["price"], "stock": 2}}
    evt = set_header(request(name, product["id"], **changes), "If-Match", '"v1"')
    wire.statements.clear()
    with wire.db.counting() as db, wire.redis.counting() as redis:
        answered, _, body = call(f"products.{name}.handler", evt)
    assert answered == status, body
    assert verbs(wire.statements) == statements
    assert db.flights == len(statements) + 2  # + BEGIN and COMMIT
    assert redis.flights == 3  # the check, DEL of the cached product, DEL of the tenant's remembered list totals


def test_a_stale_version_costs_the_read_only(wire):
    product = create("stale")
    evt = set_header(request("update_product", product["id"], body={"stock": 1}), "If-Match", '"v9"')
    wire.statements.clear()
    with wire.db.counting() as db:
        status, _, body = call("products.update_product.handler", evt)
    assert (status, body["error"]["code"]) == (409, "BIZ_002")
    assert db.flights == 1
    assert verbs(wire.statements) == ["SELECT"]


def list_products(**query: str) -> dict[str, Any]:
    evt = request("list_products")
    evt["queryStringParameters"] = query or None
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    status, _, body = call("products.list_products.handler", evt)
    assert status == 200, body
    return dict(body["meta"]["pagination"])


def test_a_list_counts_its_matches_once_per_catalogue_change(wire):
    list_products()  # the container loads the totals scripts into Redis (SCRIPT LOAD) on first use
    create("list")
    wire.statements.clear()

    # Counted: the page and the capped count in one statement; the count is remembered.
    with wire.db.counting() as db, wire.redis.counting() as redis:
        first = list_products()
    assert (db.flights, len(wire.statements), redis.flights) == (1, 1, 3)  # Redis: check, recall, remember
    assert "count(*)" in wire.statements[0]

    # Remembered: the page alone; the next page by cursor too.
    wire.statements.clear()
    with wire.db.counting() as db, wire.redis.counting() as redis:
        again = list_products()
        list_products(limit="1", cursor=list_products(limit="1")["next_cursor"])
    assert again == first
    assert (db.flights, redis.flights) == (3, 6)  # three lists: a check and a recall each
    assert not any("count(*)" in statement for statement in wire.statements)

    # A list remembered to match nothing reads no rows at all.
    list_products(q="nothing-is-called-this")
    with wire.db.counting() as db, wire.redis.counting() as redis:
        assert list_products(q="nothing-is-called-this")["total"] == 0
    assert (db.flights, redis.flights) == (0, 2)

    # A write makes the tenant's lists count again.
    create("list-2")
    wire.statements.clear()
    assert list_products()["total"] == first["total"] + 1
    assert "count(*)" in wire.statements[0]


def test_a_connection_killed_by_the_server_is_replaced_and_the_read_succeeds(wire, postgresql_url):
    product = create("stale-connection")
    admin = create_engine(postgresql_url)
    with admin.begin() as connection:
        killed = connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": wire.application_name},
        ).all()
    admin.dispose()
    assert killed == [(True,)]
    wire.statements.clear()
    with wire.db.counting() as db:
        assert get(product["id"]) == (200, "MISS")
    # The dead connection answers the first SELECT with an error; the SELECT runs again on a new connection.
    assert db.connections == 1
    assert verbs(wire.statements) == ["SELECT", "SELECT"]
    with wire.db.counting() as db:
        status, _, body = call("products.get_product.handler", request("get_product", str(uuid.uuid4())))
    assert (status, body["error"]["code"], db.flights, db.connections) == (404, "BIZ_001", 1, 0)


def test_the_check_alone_refuses_a_revoked_token_in_one_round_trip(wire):
    evt = request("get_product", str(uuid.uuid4()))
    evt["requestContext"]["authorizer"]["sub"] = user = str(uuid.uuid4())
    assert call("products.get_product.handler", evt)[0] == 404
    RedisRevocations(Redis.from_url(REDIS_URL)).revoke_sessions(DEMO_TENANT, user, int(time.time() * 1000))
    with wire.db.counting() as db, wire.redis.counting() as redis:
        status, headers, body = call("products.get_product.handler", evt)
    assert (status, body["error"]["code"]) == (401, "AUTH_001")
    assert (db.flights, redis.flights) == (0, 1)
    assert "X-RateLimit-Limit" not in headers


@pytest.fixture
def notification_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """moto's SQS with the template's queues, named to the functions (set before ``wire`` resets the
    container); yields the notification queue's depth."""
    from localdev.sqs import create_queues, local_sqs
    from localdev.template import read_api

    api = read_api()
    monkeypatch.setenv("DEFAULT_TENANT_ID", str(DEMO_TENANT))
    with local_sqs(api, tmp_path) as sqs:
        create_queues(sqs.client(), api.queues)
        for name, value in sqs.environment(api).items():
            monkeypatch.setenv(name, value)

        def depth() -> int:
            attributes = sqs.client().get_queue_attributes(
                QueueUrl=sqs.urls["NotificationQueue"], AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            return int(attributes["ApproximateNumberOfMessages"])

        yield depth


def test_forgot_password_costs_the_same_statements_and_round_trips_with_or_without_an_account(notification_queue, wire):
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork
    from storefront.domain.users import Identity, User

    name = f"rt{uuid.uuid4().hex[:10]}"
    user = User.create(DEMO_TENANT, Identity(f"{name}@example.com", name, "Round Trip"), "h", None, datetime.now(UTC))
    with SqlUnitOfWork(bootstrap.engine()) as uow:
        uow.users.add(user)
        uow.commit()
    forgot = "auth.forgot_password.handler"
    costs = []
    before = notification_queue()
    for email in (f"{name}@example.com", f"nobody-{name}@example.com", f"{name}@example.com"):
        wire.statements.clear()
        with wire.db.counting() as db, wire.redis.counting() as redis:
            status, _, _ = call(forgot, sample_event("auth/forgot_password.json", body={"email": email}))
        assert status == 202
        costs.append((verbs(wire.statements), db.flights, db.connections, redis.flights))
    known, unknown, again = costs
    # The lookup, the outbox row, the audit row; then the message marked published once SQS took it.
    assert known[0] == unknown[0] == ["SELECT", "INSERT", "INSERT", "UPDATE"]
    assert known == unknown == again
    assert notification_queue() - before == 3, "one message on the notification queue each, account or not"
