"""Cache-aside on a real Redis, and what happens when Redis dies in the middle of the work."""

from __future__ import annotations

import time
import uuid

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import create_engine

from localdev.stack import free_port
from storefront.adapters.cache.redis_cache import RedisCache
from storefront.adapters.cache.redis_totals import RedisListTotals
from storefront.adapters.clock import SystemClock
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application import products
from storefront.application.ports import CatalogPorts
from storefront.application.queries import ProductQuery
from storefront.domain.identity import Principal, Role
from tests.conftest import details


def test_get_set_delete_and_expiry(redis_client):
    cache = RedisCache(redis_client)
    key = f"storefront:test:{uuid.uuid4()}"
    assert cache.get(key) is None
    cache.set(key, b"value", ttl_seconds=30)
    assert cache.get(key) == b"value"
    assert 0 < redis_client.ttl(key) <= 30
    cache.delete(key)
    assert cache.get(key) is None


def test_nothing_is_lost_and_reads_fall_back_when_redis_stops(redis_server, sqlite_url):
    engine = create_engine(sqlite_url)
    client = Redis(port=redis_server.port, socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 1))
    cache = RedisCache(client, retry_after_seconds=0.5)
    totals = RedisListTotals(client, ttl_seconds=60, retry_after_seconds=0.5)
    ports = CatalogPorts(unit_of_work=lambda: SqlUnitOfWork(engine), cache=cache, totals=totals, clock=SystemClock())
    admin = Principal("admin", "admin", Role.ADMIN, uuid.uuid4())
    every = ProductQuery(sort="sku", order="asc")

    first = products.create_product(ports, admin, details(sku="A"))
    assert products.get_product(ports, admin.tenant_id, first.id).cache_hit is False
    assert products.get_product(ports, admin.tenant_id, first.id).cache_hit is True
    assert products.list_products(ports, admin.tenant_id, every).total == 1  # counted, then remembered

    redis_server.kill()

    # Reads fall back to the database; writes go through and are kept.
    assert products.get_product(ports, admin.tenant_id, first.id).product == first
    second = products.create_product(ports, admin, details(sku="B"))
    updated = products.update_product(ports, admin, first.id, {"stock": 42}, expected_version=1)
    assert not cache.available
    found = products.get_product(ports, admin.tenant_id, first.id)
    assert (found.cache_hit, found.product.details.stock) == (False, 42)
    assert products.list_products(ports, admin.tenant_id, every).total == 2  # counted in the database

    redis_server.start()
    time.sleep(0.6)  # the cache is retried after retry_after_seconds
    assert products.get_product(ports, admin.tenant_id, first.id).product == updated
    assert products.get_product(ports, admin.tenant_id, first.id).cache_hit is True

    page = products.list_products(ports, admin.tenant_id, every)
    assert ([p.id for p in page.items], page.total) == ([first.id, second.id], 2)
    # The count remembered before Redis stopped (1) died with it; the one remembered now is the new one.
    assert products.list_products(ports, admin.tenant_id, every).total == 2
    engine.dispose()


def test_the_container_client_gives_up_on_an_unreachable_redis_at_once(monkeypatch):
    """redis-py's default retries (10, with backoff up to 1 s) would hold each request for seconds while
    Redis is down; the container's client retries once, so the adapters fall back to the database at once."""
    from storefront import bootstrap

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    bootstrap.reset()
    try:
        started = time.monotonic()
        assert bootstrap.cache_store().get("storefront:test:unreachable") is None
        assert bootstrap.list_totals().recall("products:unreachable", "listing").matches is None
        assert time.monotonic() - started < 1.0
    finally:
        bootstrap.reset()
