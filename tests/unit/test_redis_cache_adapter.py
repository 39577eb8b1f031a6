"""The Redis cache adapter degrades to "always miss" on failure (a fake client stands in for redis-py)."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError

from storefront.adapters.cache.no_cache import NoCache
from storefront.adapters.cache.redis_cache import RedisCache


class FlakyRedis:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False
        self.calls: list[str] = []

    def _check(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise RedisConnectionError("Connection refused")

    def get(self, key: str) -> bytes | None:
        self._check("get")
        return self.data.get(key)

    def set(self, key: str, value: bytes, ex: int) -> None:
        self._check("set")
        self.data[key] = value

    def delete(self, *keys: str) -> None:
        self._check("delete")
        for key in keys:
            self.data.pop(key, None)


def test_a_failure_reads_as_a_miss_and_pauses_reads_but_not_invalidation():
    client = FlakyRedis()
    cache = RedisCache(client, retry_after_seconds=60)  # type: ignore[arg-type]
    cache.set("k", b"v", 10)
    client.down = True
    assert cache.get("k") is None
    assert not cache.available
    calls = len(client.calls)
    assert cache.get("k") is None
    cache.set("k", b"w", 10)
    assert len(client.calls) == calls, "reads and fills skip Redis while it is down"
    cache.delete("k")
    assert client.calls[-1] == "delete", "invalidation is always tried"


def test_the_cache_comes_back_after_the_pause():
    client = FlakyRedis()
    cache = RedisCache(client, retry_after_seconds=0)  # type: ignore[arg-type]
    client.down = True
    assert cache.get("k") is None
    client.down = False
    cache.set("k", b"v", 10)
    assert cache.get("k") == b"v"


def test_no_cache_always_misses():
    cache = NoCache()
    cache.set("k", b"v", 10)
    cache.delete("k")
    assert cache.get("k") is None
