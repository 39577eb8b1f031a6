"""The list totals memo on a real Redis and on the local stand-in (fakeredis running the same Lua)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import fakeredis
import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storefront.adapters.cache.redis_totals import RedisListTotals


@pytest.fixture(params=["redis", "stand-in"])
def client(request: pytest.FixtureRequest, redis_client: Redis) -> Iterator[Redis]:
    if request.param == "redis":
        yield redis_client
    else:
        yield fakeredis.FakeRedis()


@pytest.fixture
def scope() -> str:
    return f"test:{uuid.uuid4()}"


def test_a_count_is_recalled_in_the_generation_it_was_remembered_in(client, scope):
    totals = RedisListTotals(client, ttl_seconds=30)
    first = totals.recall(scope, "all")
    assert first.matches is None
    assert first.generation is not None
    totals.remember(scope, "all", first.generation, 42)
    assert totals.recall(scope, "all").matches == 42
    assert totals.recall(scope, "all").generation == first.generation
    assert totals.recall(scope, "other").matches is None
    assert 0 < client.ttl(f"storefront:totals:{scope}") <= 30


def test_a_forget_drops_every_count_and_a_count_read_before_it_is_never_kept(client, scope):
    totals = RedisListTotals(client, ttl_seconds=30)
    before = totals.recall(scope, "all")
    assert before.generation is not None
    totals.remember(scope, "kept-until-forgotten", before.generation, 7)
    totals.forget(scope)  # a write commits while "all" is being counted
    totals.remember(scope, "all", before.generation, 5)
    after = totals.recall(scope, "all")
    assert (after.matches, totals.recall(scope, "kept-until-forgotten").matches) == (None, None)
    assert after.generation != before.generation


def test_scopes_are_apart(client, scope):
    totals = RedisListTotals(client, ttl_seconds=30)
    mine = totals.recall(scope, "all")
    assert mine.generation is not None
    totals.remember(scope, "all", mine.generation, 3)
    assert totals.recall(scope + "-neighbour", "all").matches is None
    totals.forget(scope + "-neighbour")
    assert totals.recall(scope, "all").matches == 3


def test_an_unreachable_redis_remembers_nothing_and_forgets_without_failing(scope):
    from localdev.stack import free_port

    dead = Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    totals = RedisListTotals(dead, ttl_seconds=30)
    recalled = totals.recall(scope, "all")
    assert (recalled.matches, recalled.generation) == (None, None)
    totals.remember(scope, "all", "any", 1)
    totals.forget(scope)
