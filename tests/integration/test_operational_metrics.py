"""The metric sources against real servers: the outbox backlog and orders by status on every backend (each agreeing
with a brute-force count), Redis's keyspace statistics, and this container's pool."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import oracle

from storefront.adapters.db.engine import pool_usage
from storefront.adapters.db.operational import orders_by_status_statement
from storefront.adapters.db.outbox import backlog_statement
from storefront.adapters.db.tables import ORDERS, OUTBOX_MESSAGES
from storefront.adapters.health import DatabaseProbe, RedisProbe, ping_statement
from storefront.adapters.metric_sources import CacheStatistics, DatabasePool, OrdersByStatus, OutboxBacklog
from storefront.domain.orders import OrderStatus


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


def _values(families):
    return {(f.name, s.labels): s.value for f in families for s in f.samples}


def test_the_outbox_backlog_counts_the_unpublished_and_ages_the_oldest(engine):
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    ids = [uuid4() for _ in range(3)]
    rows = [
        {"ID": ids[0], "CREATED_AT": now - timedelta(seconds=90), "PUBLISHED_AT": None},
        {"ID": ids[1], "CREATED_AT": now - timedelta(seconds=30), "PUBLISHED_AT": None},
        {"ID": ids[2], "CREATED_AT": now - timedelta(seconds=600), "PUBLISHED_AT": now},
    ]
    common = {
        "TENANT_ID": uuid4(),
        "QUEUE": "payment",
        "MESSAGE_TYPE": "t",
        "MESSAGE_VERSION": 1,
        "BODY": "{}",
        "ATTEMPTS": 0,
    }
    with engine.begin() as connection:
        connection.execute(delete(OUTBOX_MESSAGES).where(OUTBOX_MESSAGES.c.PUBLISHED_AT.is_(None)))
        connection.execute(insert(OUTBOX_MESSAGES), [{**common, **row} for row in rows])
    try:
        values = _values(OutboxBacklog(lambda: engine, FixedClock(now)).collect())
        assert values[("storefront_outbox_backlog_messages", ())] == 2
        assert values[("storefront_outbox_oldest_age_seconds", ())] == 90.0
    finally:
        with engine.begin() as connection:
            connection.execute(delete(OUTBOX_MESSAGES).where(OUTBOX_MESSAGES.c.ID.in_(ids)))
    empty = _values(OutboxBacklog(lambda: engine, FixedClock(now)).collect())
    assert empty[("storefront_outbox_oldest_age_seconds", ())] == 0.0


def test_orders_by_status_agree_with_a_brute_force_count(engine):
    with engine.connect() as connection:
        brute = Counter(status for (status,) in connection.execute(select(ORDERS.c.STATUS)))
    values = _values(OrdersByStatus(lambda: engine).collect())
    assert {labels[0][1]: n for (_, labels), n in values.items()} == {
        s.value: brute.get(s.value, 0) for s in OrderStatus
    }


def test_the_probes_and_the_pool_on_a_live_database(engine):
    DatabaseProbe(lambda: engine).check()
    usage = pool_usage(engine)
    if usage is not None:
        values = _values(DatabasePool(lambda: engine).collect())
        assert values[("storefront_db_pool_max_connections", ())] >= 1


def test_redis_keyspace_statistics_and_ping(redis_client):
    redis_client.set("storefront:test:ops-hit", b"1")
    redis_client.get("storefront:test:ops-hit")
    redis_client.get(f"storefront:test:ops-miss-{uuid4()}")
    values = _values(CacheStatistics(lambda: redis_client).collect())
    hits, misses = values[("storefront_cache_hits", ())], values[("storefront_cache_misses", ())]
    assert hits >= 1
    assert misses >= 1
    assert values[("storefront_cache_hit_ratio", ())] == hits / (hits + misses)
    RedisProbe(lambda: redis_client).check()


def test_the_statements_compile_for_oracle():
    compiled = [str(s.compile(dialect=oracle.dialect())) for s in (backlog_statement(), orders_by_status_statement())]
    assert "PUBLISHED_AT" in compiled[0]
    assert "GROUP BY" in compiled[1]
    assert "FROM DUAL" in str(ping_statement().compile(dialect=oracle.dialect())).upper()
