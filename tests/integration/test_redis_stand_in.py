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


OWNER = """
import sys
from pathlib import Path
from localdev.redis_stand_in import shared_stand_in
with shared_stand_in(sys.argv[2], state=Path(sys.argv[1])) as url:
    print(url, flush=True)
    sys.stdin.read()  # until the test closes it
"""


def test_a_process_whose_shared_stand_in_stopped_says_so_once(tmp_path, monkeypatch, capfd):
    """Outside pass: a second run whose stand-in (the first run's) stopped turned every read into a cache miss
    without a word. It keeps the dead URL (a new stand-in would not see the other sharers' invalidations) and
    now says once that it stopped and what to do."""
    import subprocess
    import sys
    import time

    from localdev import redis_stand_in
    from localdev.paths import ROOT

    monkeypatch.setattr(redis_stand_in, "WATCH_SECONDS", 0.2)
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path), database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    owner_in, owner_out = owner.stdin, owner.stdout
    assert owner_in is not None
    assert owner_out is not None
    try:
        owner_url = owner_out.readline().strip()
        with shared_stand_in(database, state=tmp_path) as url:
            assert url == owner_url
            time.sleep(0.5)
            assert "has stopped" not in capfd.readouterr().err  # nothing while it answers
            owner_in.close()
            owner.wait(30)
            deadline = time.monotonic() + 10
            said = ""
            while "has stopped" not in said and time.monotonic() < deadline:
                time.sleep(0.1)
                said += capfd.readouterr().err
            time.sleep(0.6)
            said += capfd.readouterr().err
        assert said.count(f"The cache stand-in of process {owner.pid} has stopped") == 1
    finally:
        if owner.poll() is None:
            owner.kill()
