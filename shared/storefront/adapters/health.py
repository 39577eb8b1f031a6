"""The readiness probes: the database answers a trivial query, Redis answers PING."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Select, literal, select

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy import Engine


def ping_statement() -> Select[tuple[int]]:
    """``SELECT 1`` (``FROM DUAL`` on Oracle): one round trip that needs a working session."""
    return select(literal(1))


class DatabaseProbe:
    """The database is up when a pooled connection answers ``ping_statement`` (a dead one is replaced first)."""

    name = "database"

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def check(self) -> None:
        """Raise when the database does not answer."""
        with self._engine().connect() as connection:
            connection.execute(ping_statement()).scalar_one()


class RedisProbe:
    """Redis is up when it answers PING (within the client's socket timeout)."""

    name = "redis"

    def __init__(self, client: Callable[[], Redis | None]) -> None:
        self._client = client

    def check(self) -> None:
        """Raise when Redis does not answer, or when no Redis is configured (REDIS_URL unset)."""
        client = self._client()
        if client is None:
            raise ConnectionError("REDIS_URL is not set")
        client.ping()
