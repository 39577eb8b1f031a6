"""Cache-aside on Redis that degrades to "always miss" when Redis fails, so reads fall back to the database."""

from __future__ import annotations

import time
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from storefront.observability import logger


class RedisCache:
    """The Cache port on redis-py; after a failure it stops asking Redis for ``retry_after`` seconds."""

    def __init__(self, client: Redis, *, retry_after_seconds: float = 5.0) -> None:
        self._client = client
        self._retry_after = retry_after_seconds
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        """False while the cache is skipped after a failure."""
        return time.monotonic() >= self._down_until

    def get(self, key: str) -> bytes | None:
        value: Any = self._call("get", key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._call("set", key, value, ex=ttl_seconds)

    def delete(self, key: str) -> None:
        # Invalidation is tried even while reads skip the cache: a skipped delete would leave a stale entry.
        self._call("delete", key, always=True)

    def _call(self, operation: str, *args: Any, always: bool = False, **kwargs: Any) -> Any:
        if not (always or self.available):
            return None
        try:
            return getattr(self._client, operation)(*args, **kwargs)
        except RedisError as error:
            self._down_until = time.monotonic() + self._retry_after
            logger.warning(
                "cache unavailable; reading from the database", extra={"operation": operation, "error": str(error)}
            )
            return None
