"""Cache-aside on Redis that degrades to "always miss" when Redis fails, so reads fall back to the database."""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis

from storefront.adapters.cache.degrading import Degrading

DELETE_CHUNK = 1000


class RedisCache:
    """The Cache port on redis-py; after a failure it stops asking Redis for ``retry_after`` seconds."""

    def __init__(self, client: Redis, *, retry_after_seconds: float = 5.0) -> None:
        self._client = client
        self._redis = Degrading("cache unavailable; reading from the database", retry_after_seconds=retry_after_seconds)

    @property
    def available(self) -> bool:
        """False while the cache is skipped after a failure."""
        return self._redis.available

    def get(self, key: str) -> bytes | None:
        value = self._redis.call("get", lambda: self._client.get(key))
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._redis.call("set", lambda: self._client.set(key, value, ex=ttl_seconds))

    def delete(self, key: str) -> None:
        self._redis.call("delete", lambda: self._client.delete(key), always=True)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Delete the keys in one DEL per DELETE_CHUNK keys (a bulk update's products)."""
        for start in range(0, len(keys), DELETE_CHUNK):
            self._delete_chunk(keys[start : start + DELETE_CHUNK])

    def _delete_chunk(self, keys: Sequence[str]) -> None:
        self._redis.call("delete", lambda: self._client.delete(*keys), always=True)
