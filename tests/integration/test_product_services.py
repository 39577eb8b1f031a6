"""The product service routes on real databases: the bulk repository methods on every backend, a batch of 1000 in
a bounded number of statements, and a sync that pages through 10,000 changes while writers keep writing."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url

from localdev.wire import CountingProxy
from storefront import bootstrap
from storefront.adapters.clock import SystemClock
from storefront.adapters.db.engine import build_engine
from storefront.adapters.db.tables import PRODUCT_SEARCH_TERMS, PRODUCTS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application import products
from storefront.application.product_services import (
    ProductChange,
    batch_create_products,
    bulk_update_products,
    sync_products,
)
from storefront.application.queries import Keyset
from storefront.application.service_keys import issue_service_key
from storefront.domain.errors import Conflict, NotFound
from storefront.domain.identity import Principal, Role
from storefront.domain.products import Product
from tests.conftest import details
from tests.fakes import FakeCache, FakeListTotals
from tests.integration.conftest import REDIS_URL, database_settings
from tests.unit.handlers import call, set_header
from tests.unit.handlers import event as sample_event

T0 = datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=UTC)
FLIGHTS = 8  # round trips of a batch on PostgreSQL, whatever its size (the test below)
DEMO_TENANT = UUID("00000000-0000-4000-8000-000000000001")


def made(tenant: UUID, n: int, **overrides: Any) -> Product:
    return Product.create(tenant, details(sku=f"BULK-{n}", name=f"Bulk item {n}", **overrides), "svc", T0)


def test_bulk_insert_check_and_read_back(engine):
    tenant = uuid4()
    batch = [made(tenant, n) for n in range(1200)]  # more than one chunk of every kind
    with SqlUnitOfWork(engine) as uow:
        uow.products.add_many(batch)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        skus = [p.details.sku for p in batch[::100]] + ["NOT-THERE"]
        assert uow.products.taken_skus(tenant, skus) == {p.details.sku for p in batch[::100]}
        assert uow.products.taken_skus(uuid4(), skus) == set()
        found = uow.products.get_many(tenant, [p.id for p in batch] + [uuid4()])
    assert found == {p.id: p for p in batch}
    with SqlUnitOfWork(engine) as uow:
        terms = uow.read(select(PRODUCT_SEARCH_TERMS.c.TERM).where(PRODUCT_SEARCH_TERMS.c.TENANT_ID == tenant))
        assert len(terms.all()) == 1200 * 3  # "bulk", "item", the number


def test_a_taken_sku_fails_the_whole_bulk_insert(engine):
    tenant = uuid4()
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(made(tenant, 1))
        uow.commit()
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.products.add_many([made(tenant, 2), made(tenant, 1)])
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.taken_skus(tenant, ["BULK-2"]) == set()


def test_bulk_update_writes_every_row_at_its_version_or_none(engine):
    tenant = uuid4()
    batch = [made(tenant, n) for n in range(3)]
    with SqlUnitOfWork(engine) as uow:
        uow.products.add_many(batch)
        uow.commit()
    later = T0 + timedelta(seconds=5)
    renamed = [p.revise(replace(p.details, name=f"Renamed {n}"), "svc", later) for n, p in enumerate(batch)]
    with SqlUnitOfWork(engine) as uow:
        uow.products.get_many(tenant, [p.id for p in batch], lock=True)
        uow.products.update_many([(p, 1) for p in renamed])
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.get_many(tenant, [p.id for p in batch]) == {p.id: p for p in renamed}
        words = uow.read(
            select(PRODUCT_SEARCH_TERMS.c.TERM).where(PRODUCT_SEARCH_TERMS.c.PRODUCT_ID == batch[0].id)
        ).scalars()
        assert sorted(words) == ["0", "renamed"]
    stale = [p.revise(p.details, "svc", later) for p in renamed]
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.products.update_many([(stale[0], 2), (stale[1], 1)])  # the second is stale: nothing is kept
    with SqlUnitOfWork(engine) as uow:
        assert uow.products.get_many(tenant, [batch[0].id])[batch[0].id].version == 2


def test_changes_are_read_in_update_order_with_deleted_rows_up_to_a_horizon(engine):
    tenant = uuid4()
    rows = [Product.create(tenant, details(sku=f"C-{n}"), "svc", T0 + timedelta(seconds=n % 3)) for n in range(6)]
    rows[4] = rows[4].delete("svc", T0 + timedelta(seconds=10))
    with SqlUnitOfWork(engine) as uow:
        uow.products.add_many(rows)
        uow.commit()
    order = sorted(rows, key=lambda p: (p.updated_at, str(p.id)))
    with SqlUnitOfWork(engine) as uow:
        everything = uow.products.changes(tenant, None, T0 + timedelta(seconds=60), 100)
        before = uow.products.changes(tenant, None, T0 + timedelta(seconds=1), 100)
        after = uow.products.changes(tenant, Keyset(order[2].updated_at, order[2].id), T0 + timedelta(seconds=60), 2)
    assert [p.id for p in everything] == [p.id for p in order]
    assert everything[-1].deleted_at is not None
    assert {p.id for p in before} == {p.id for p in order if p.updated_at <= T0 + timedelta(seconds=1)}
    assert [p.id for p in after] == [p.id for p in order[3:5]]


# A whole batch request on PostgreSQL, its SQL statements counted ---------------------------------------------


@dataclass
class Stack:
    key: str
    db: CountingProxy


@pytest.fixture
def service_stack(postgresql_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The functions on PostgreSQL (behind a proxy counting round trips) and Redis in API Gateway mode, with a key
    of ``demo-service``."""
    postgres = make_url(postgresql_url)
    with CountingProxy(postgres.host or "127.0.0.1", postgres.port or 5432) as db:
        monkeypatch.setenv("GATEWAY_MODE", "apigw")
        monkeypatch.setenv("DATABASE_URL", postgres.set(port=db.port).render_as_string(hide_password=False))
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        monkeypatch.setenv("RATE_LIMITS", "10000/minute,100000/hour,1000000/day")
        bootstrap.reset()
        key = issue_service_key(bootstrap.service_key_ports(), DEMO_TENANT, "demo-service", "test").key
        yield Stack(key, db)
        bootstrap.engine().dispose()
        bootstrap.reset()


def batch_event(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return set_header(sample_event("services/batch_products.json", body={"items": items}), "X-API-Key", key)


def item(n: int, run: str) -> dict[str, Any]:
    return {"sku": f"{run}-{n}", "name": f"Batch item {n}", "price": {"amount": "2.50", "currency": "EUR"}, "stock": n}


INVALID: dict[int, dict[str, Any]] = {
    3: {"price": {"amount": "0", "currency": "EUR"}},
    97: {"name": ""},
    150: {"stock": -1},
    301: {"price": {"amount": "1.999", "currency": "EUR"}},
    402: {"sku": ""},
    555: {"currency_typo": True},
    610: {"stock": "many"},
    777: {"price": {"amount": "1.00", "currency": "XXY"}},
    888: {"status": "archived"},
    999: {"category": ""},
}


def test_a_batch_of_1000_with_10_invalid_creates_990_in_a_bounded_number_of_statements(service_stack):
    run = uuid4().hex[:8]
    items = [{**item(n, run), **INVALID.get(n, {})} for n in range(1000)]
    sync = set_header(sample_event("services/sync_products.json"), "X-API-Key", service_stack.key)
    call("services.sync_products.handler", sync)  # a warm container: connection open, the service key known
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(bootstrap.engine(), "before_cursor_execute", listener)
    try:
        with service_stack.db.counting() as db:
            status, _, body = call("services.batch_products.handler", batch_event(service_stack.key, items))
    finally:
        event.remove(bootstrap.engine(), "before_cursor_execute", listener)
    assert status == 200, body
    results = body["data"]["results"]
    assert [r["index"] for r in results] == list(range(1000))
    failed = {r["index"]: r["error"] for r in results if r["status"] == "failed"}
    assert set(failed) == set(INVALID)
    assert all(error["code"].startswith("VAL_") and error["details"]["errors"] for error in failed.values())
    assert failed[97]["details"]["field"] == "name"
    assert failed[555]["details"]["field"] == "currency_typo"
    created = [r["id"] for r in results if r["status"] == "created"]
    assert len(created) == 990
    # Bounded whatever the batch's size, never a statement per item: the SKU check (one IN list of up to 1000),
    # then on PostgreSQL generic plans for the load's foreign-key probes, one COPY of the products and one of their
    # search terms (outside SQLAlchemy's statement events), and the commit. At the wire (FLIGHTS): the SELECT,
    # BEGIN, SET LOCAL plan_cache_mode, each COPY and its data, COMMIT.
    assert [s.split()[0].upper() for s in statements] == ["SELECT"]
    assert (db.flights, db.connections) == (FLIGHTS, 0)
    with bootstrap.engine().connect() as connection:
        stored = connection.execute(select(PRODUCTS.c.ID).where(PRODUCTS.c.SKU.like(f"{run}-%"))).all()
    assert len(stored) == 990


# Sync while writers keep writing -------------------------------------------------------------------------------


class SlowCommit(SqlUnitOfWork):
    """A unit of work that waits before it commits: its rows are stamped well before they become visible, and
    commit after rows stamped later by other writers (transactions committing out of timestamp order)."""

    def commit(self) -> None:
        time.sleep(0.25)
        super().commit()


@pytest.fixture
def pg_engine(postgresql_url: str) -> Iterator[Engine]:
    built = build_engine(postgresql_url, database_settings(postgresql_url))
    yield built
    built.dispose()


def ports(engine: Engine, unit: type[SqlUnitOfWork] = SqlUnitOfWork) -> Any:
    from storefront.application.ports import CatalogPorts

    return CatalogPorts(lambda: unit(engine), FakeCache(), FakeListTotals(), SystemClock())


LAG_SECONDS = 1.0  # writers here stamp-to-commit in far less (the slow one in 0.25 s)
CHANGES = 10_000


def test_sync_pages_through_10000_changes_without_gap_or_duplicate_while_writes_continue(pg_engine):
    tenant = uuid4()
    principal = Principal("svc", "svc", Role.SERVICE, tenant)
    fast, slow = ports(pg_engine), ports(pg_engine, SlowCommit)
    committed = [0]
    done = threading.Event()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def count(n: int) -> None:
        with lock:
            committed[0] += n

    def creator() -> None:
        for round_ in range(24):
            results = batch_create_products(fast, principal, [details(sku=f"W{round_}-{n}") for n in range(250)])
            count(sum(r.status == "created" for r in results))
            time.sleep(0.05)

    def updater() -> None:
        rng = random.Random(7)
        while not done.is_set():
            with SqlUnitOfWork(pg_engine) as uow:
                ids = uow.read(
                    select(PRODUCTS.c.ID, PRODUCTS.c.VERSION)
                    .where(PRODUCTS.c.TENANT_ID == tenant, PRODUCTS.c.DELETED_AT.is_(None))
                    .limit(2000)
                ).all()
            if not ids:
                time.sleep(0.02)
                continue
            picked = rng.sample(ids, min(100, len(ids)))
            changes = [ProductChange(r.ID, r.VERSION, {"stock": rng.randint(0, 99)}) for r in picked]
            results = bulk_update_products(fast, principal, changes)
            count(sum(r.status == "updated" for r in results))
            for row in picked[:3]:  # and a few deletes
                try:
                    products.delete_product(fast, principal, row.ID, None)
                    count(1)
                except (NotFound, Conflict):  # already deleted or changed meanwhile: not a change
                    continue

    def slow_writer() -> None:
        n = 0
        while not done.is_set():
            results = batch_create_products(slow, principal, [details(sku=f"SLOW-{n}")])
            count(sum(r.status == "created" for r in results))
            n += 1

    def guarded(work: Any) -> Any:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # surfaced below
                errors.append(error)
                done.set()

        return run

    threads = [threading.Thread(target=guarded(w)) for w in (creator, updater, slow_writer)]
    for thread in threads:
        thread.start()
    seen: list[tuple[UUID, int]] = []
    last_state: dict[UUID, tuple[int, bool]] = {}
    positions: list[tuple[datetime, str]] = []
    cursor: str | None = None
    pages_while_writing = 0
    caught_up_after_stop = False
    while True:
        if not threads[0].is_alive() and committed[0] >= CHANGES and not done.is_set():
            done.set()
        page = sync_products(fast, tenant, cursor, 100, LAG_SECONDS)
        for product in page.items:
            seen.append((product.id, product.version))
            last_state[product.id] = (product.version, product.deleted_at is not None)
            positions.append((product.updated_at, str(product.id)))
        if not done.is_set():
            pages_while_writing += 1
        if page.next_cursor is not None:
            cursor = page.next_cursor
        elif done.is_set() and all(not t.is_alive() for t in threads):
            # Caught up after the writers stopped, and once more after the lag, when every write is visible.
            if caught_up_after_stop:
                break
            time.sleep(LAG_SECONDS + 0.2)
            caught_up_after_stop = True
        else:
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert committed[0] >= CHANGES
    assert pages_while_writing > 20, "the sync must have read while the writers wrote"
    assert len(seen) == len(set(seen)), "a change was returned twice"
    assert positions == sorted(positions), "pages go forward in (updated_at, id) order"
    with pg_engine.connect() as connection:
        final = {
            row.ID: (row.VERSION, row.DELETED_AT is not None)
            for row in connection.execute(
                select(PRODUCTS.c.ID, PRODUCTS.c.VERSION, PRODUCTS.c.DELETED_AT).where(PRODUCTS.c.TENANT_ID == tenant)
            )
        }
    assert last_state == final, "every row's last change reached the client"


def test_stock_moved_by_orders_moves_updated_at_so_a_sync_sees_it(engine):
    from storefront.application.ports import StockLine

    tenant = uuid4()
    product = made(tenant, 1, stock=10)
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(product)
        uow.commit()
    taken, given_back = T0 + timedelta(seconds=30), T0 + timedelta(seconds=60)
    with SqlUnitOfWork(engine) as uow:
        assert uow.orders.reserve_stock(tenant, [StockLine(product.id, 4)], taken)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        seen = uow.products.changes(tenant, Keyset(product.updated_at, product.id), given_back, 10)
    assert [(p.details.stock, p.updated_at) for p in seen] == [(6, taken)]
    with SqlUnitOfWork(engine) as uow:
        uow.orders.release_stock(tenant, [StockLine(product.id, 4)], given_back)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        seen = uow.products.changes(tenant, Keyset(taken, product.id), given_back, 10)
    assert [(p.details.stock, p.updated_at, p.version) for p in seen] == [(10, given_back, 3)]
