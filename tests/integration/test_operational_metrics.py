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


def _order_row(tenant, status: str, now: datetime) -> dict[str, object]:
    return {
        "ID": uuid4(),
        "TENANT_ID": tenant,
        "CREATED_AT": now,
        "UPDATED_AT": now,
        "CREATED_BY": "test",
        "UPDATED_BY": "test",
        "VERSION": 1,
        "USER_ID": uuid4(),
        "STATUS": status,
        "PAYMENT_STATUS": "pending",
        "TOTAL_AMOUNT": 1,
        "CURRENCY": "EUR",
        "SHIPPING_LINE1": "1 Road",
        "SHIPPING_CITY": "Town",
        "SHIPPING_POSTAL_CODE": "1000",
        "SHIPPING_COUNTRY": "FR",
        "PAYMENT_TOKEN": "tok",
        "EVENT_SEQUENCE": 0,
    }


def test_a_tenants_orders_and_outbox_are_its_own_rows_only(engine):
    """Behind Kong a tenant's service reads the metrics: its orders by status and its outbox backlog, never
    another tenant's (they were every tenant's)."""
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    mine, other = uuid4(), uuid4()
    orders = [_order_row(mine, "PENDING", now), _order_row(other, "PENDING", now), _order_row(other, "SHIPPED", now)]
    outbox = [
        {"ID": uuid4(), "TENANT_ID": tenant, "QUEUE": "payment", "MESSAGE_TYPE": "t", "MESSAGE_VERSION": 1,
         "BODY": "{}", "ATTEMPTS": 0, "CREATED_AT": now - timedelta(seconds=age), "PUBLISHED_AT": None}
        for tenant, age in ((mine, 10), (other, 500), (other, 20))
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(ORDERS), orders)
        connection.execute(insert(OUTBOX_MESSAGES), outbox)
    try:
        counts = _values(OrdersByStatus(lambda: engine, mine).collect())
        assert {labels[0][1]: n for (_, labels), n in counts.items()} == {
            s.value: (1 if s.value == "PENDING" else 0) for s in OrderStatus
        }
        backlog = _values(OutboxBacklog(lambda: engine, FixedClock(now), mine).collect())
        assert backlog[("storefront_outbox_backlog_messages", ())] == 1
        assert backlog[("storefront_outbox_oldest_age_seconds", ())] == 10.0
        everyone = _values(OutboxBacklog(lambda: engine, FixedClock(now)).collect())
        assert everyone[("storefront_outbox_backlog_messages", ())] >= 3
    finally:
        with engine.begin() as connection:
            connection.execute(delete(ORDERS).where(ORDERS.c.ID.in_([row["ID"] for row in orders])))
            connection.execute(delete(OUTBOX_MESSAGES).where(OUTBOX_MESSAGES.c.ID.in_([row["ID"] for row in outbox])))
