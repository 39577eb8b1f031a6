"""The local Redis stand-in (fakeredis over TCP) answers INFO with its keyspace hits and misses, as Redis does,
so the local /api/v1/metrics reports a real cache hit ratio (fakeredis has no INFO: the source was always down)."""

from __future__ import annotations

from redis import Redis

from localdev.redis_stand_in import shared_stand_in
from storefront.adapters.metric_sources import CacheStatistics


def _values(client: Redis) -> dict[str, float]:
    return {f.name: f.samples[0].value for f in CacheStatistics(lambda: client).collect()}


def test_the_stand_in_counts_reads_as_keyspace_hits_and_misses_and_the_cache_source_reads_them(tmp_path):
    with shared_stand_in(f"sqlite:///{tmp_path / 'db.sqlite'}", state=tmp_path) as url:
        client = Redis.from_url(url)
        before = _values(client)
        client.set("storefront:test:present", b"1")
        client.get("storefront:test:present")  # hit
        client.get("storefront:test:absent")  # miss
        client.mget("storefront:test:present", "storefront:test:absent", "storefront:test:gone")  # 1 hit, 2 misses
        client.set("storefront:test:other", b"2")  # writes are not lookups
        after = _values(client)
        other = Redis.from_url(url)  # every connection's reads together, as Redis's INFO
        other.get("storefront:test:present")
        assert _values(other)["storefront_cache_hits"] == after["storefront_cache_hits"] + 1
        client.close()
        other.close()
    hits = after["storefront_cache_hits"] - before["storefront_cache_hits"]
    misses = after["storefront_cache_misses"] - before["storefront_cache_misses"]
    assert (hits, misses) == (2, 3)
    total_hits, total_misses = after["storefront_cache_hits"], after["storefront_cache_misses"]
    assert after["storefront_cache_hit_ratio"] == total_hits / (total_hits + total_misses)
