"""The sources of /api/v1/metrics: queue and DLQ depths (SQS), the outbox backlog and its oldest message's age,
orders by status, the cache hit ratio (Redis) and this container's database pool. Each reads one thing and
raises when it cannot; the use case bounds it with a timeout and reports it down (``application/operations``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from storefront.application.ports import Clock
from storefront.domain.health import MetricFamily, Sample, counter, gauge
from storefront.domain.orders import OrderStatus

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy import Engine

QUEUE_STATES = {
    "visible": "ApproximateNumberOfMessages",
    "in_flight": "ApproximateNumberOfMessagesNotVisible",
    "delayed": "ApproximateNumberOfMessagesDelayed",
}


def queue_label(url: str) -> str:
    """A queue's name, the last segment of its URL."""
    return url.rstrip("/").rsplit("/", 1)[-1]


class QueueDepths:
    """The depth of every queue and dead-letter queue (one GetQueueAttributes each)."""

    name = "queues"

    def __init__(self, client: Callable[[], Any], urls: Mapping[str, str]) -> None:
        self._client = client
        self._urls = urls  # variable name -> URL; dead-letter queues' variables contain DEAD_LETTER

    def collect(self) -> list[MetricFamily]:
        """storefront_queue_messages{queue,state} and storefront_dead_letter_queue_messages{queue}."""
        client: Any = self._client() if self._urls else None  # no queue named: no SDK client built
        depths, dead = [], []
        for variable, url in sorted(self._urls.items()):
            attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=list(QUEUE_STATES.values()))
            values = attributes.get("Attributes", {})
            label = queue_label(url)
            if "DEAD_LETTER" in variable:
                dead.append(Sample(float(values.get(QUEUE_STATES["visible"], 0)), (("queue", label),)))
                continue
            for state, attribute in QUEUE_STATES.items():
                depths.append(Sample(float(values.get(attribute, 0)), (("queue", label), ("state", state))))
        return [
            gauge("storefront_queue_messages", "Messages in a queue (SQS approximate counts) by state.", *depths),
            gauge("storefront_dead_letter_queue_messages", "Messages waiting in a dead-letter queue.", *dead),
        ]


class OutboxBacklog:
    """Outbox messages not yet published, and how long the oldest has waited (``tenant_id``'s only when given)."""

    name = "outbox"

    def __init__(self, engine: Callable[[], Engine], clock: Clock, tenant_id: UUID | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._tenant_id = tenant_id

    def collect(self) -> list[MetricFamily]:
        """storefront_outbox_backlog_messages and storefront_outbox_oldest_age_seconds (0 when empty)."""
        from storefront.adapters.db.outbox import backlog_statement

        with self._engine().connect() as connection:
            count, oldest = connection.execute(backlog_statement(self._tenant_id)).one()
        age = max((self._clock.now() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        return [
            gauge("storefront_outbox_backlog_messages", "Outbox messages waiting to be published.", Sample(count)),
            gauge("storefront_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox message.", Sample(age)),
        ]


class OrdersByStatus:
    """The number of orders in each status (every status listed, 0 included): ``tenant_id``'s orders only when
    given, every tenant's otherwise (a deployment operator's view)."""

    name = "orders"

    def __init__(self, engine: Callable[[], Engine], tenant_id: UUID | None = None) -> None:
        self._engine = engine
        self._tenant_id = tenant_id

    def collect(self) -> list[MetricFamily]:
        """storefront_orders{status}."""
        from storefront.adapters.db.operational import orders_by_status_statement

        with self._engine().connect() as connection:
            counts = {
                str(status): int(n) for status, n in connection.execute(orders_by_status_statement(self._tenant_id))
            }
        samples = [Sample(float(counts.get(s.value, 0)), (("status", s.value),)) for s in OrderStatus]
        return [gauge("storefront_orders", "Orders in each status.", *samples)]


class CacheStatistics:
    """Redis's own keyspace hits and misses (INFO stats) and their ratio: every container's reads together."""

    name = "cache"

    def __init__(self, client: Callable[[], Redis | None]) -> None:
        self._client = client

    def collect(self) -> list[MetricFamily]:
        """storefront_cache_hits_total, storefront_cache_misses_total and storefront_cache_hit_ratio."""
        client = self._client()
        if client is None:
            raise ConnectionError("REDIS_URL is not set")
        stats: Mapping[str, Any] = client.info("stats")
        hits, misses = float(stats.get("keyspace_hits", 0)), float(stats.get("keyspace_misses", 0))
        ratio = hits / (hits + misses) if hits + misses else 0.0
        return [
            counter("storefront_cache_hits", "Redis keyspace hits since it started.", hits),
            counter("storefront_cache_misses", "Redis keyspace misses since it started.", misses),
            gauge("storefront_cache_hit_ratio", "hits / (hits + misses) of Redis's keyspace.", Sample(ratio)),
        ]


class DatabasePool:
    """This container's database pool: connections in use, idle, and the pool's maximum."""

    name = "db_pool"

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def collect(self) -> list[MetricFamily]:
        """storefront_db_pool_connections{state} and storefront_db_pool_max_connections."""
        from storefront.adapters.db.engine import pool_usage

        usage = pool_usage(self._engine())
        if usage is None:
            return []
        connections = gauge(
            "storefront_db_pool_connections",
            "This container's database connections by state.",
            Sample(float(usage.in_use), (("state", "in_use"),)),
            Sample(float(usage.idle), (("state", "idle"),)),
        )
        maximum = gauge(
            "storefront_db_pool_max_connections", "The most connections the pool opens.", Sample(usage.maximum)
        )
        return [connections, maximum]
