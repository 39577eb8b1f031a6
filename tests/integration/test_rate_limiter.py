"""The rate limiter's Redis script on a real Redis (and on the fakeredis the local stand-in serves): the GCRA
tables, exactness across processes, revocations, one round trip, and an unreachable Redis."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import fakeredis
import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from localdev.stack import free_port
from localdev.wire import CountingProxy
from storefront.adapters.cache.rate_limiter import RedisRateLimiter, RedisRevocations, sessions_key
from storefront.application.ports import UNANSWERED, IssuedToken
from storefront.domain.errors import ServiceUnavailable
from storefront.domain.rate_limits import MICROSECONDS, parse_windows
from tests.integration.conftest import REDIS_URL
from tests.rate_limit_rules import GCRA_CASES, Step

TENANT = UUID("00000000-0000-4000-8000-000000000001")


class Clock:
    """The script's clock, moved by the test (microseconds)."""

    def __init__(self) -> None:
        self.now = int(time.time()) * MICROSECONDS

    def __call__(self) -> int:
        return self.now


@pytest.fixture(params=["redis", "fakeredis"])
def client(request: pytest.FixtureRequest, redis_client: Redis) -> Iterator[Redis]:
    """The machine's Redis, and the fakeredis that `make run`'s stand-in serves (same script, same answers)."""
    if request.param == "redis":
        yield redis_client
    else:
        yield fakeredis.FakeRedis()


def caller() -> str:
    return f"test:{uuid.uuid4().hex}"


@pytest.mark.parametrize(("windows", "steps"), GCRA_CASES.values(), ids=GCRA_CASES.keys())
def test_the_script_follows_the_gcra_tables(client, windows, steps):
    clock = Clock()
    limiter = RedisRateLimiter(client, clock=clock)
    start, who = clock.now, caller()
    for step in steps:
        clock.now = start + round(step.at * MICROSECONDS)
        decision = limiter.check(who, parse_windows(windows))
        limit, remaining, reset = decision.limit, decision.remaining, decision.reset_seconds
        assert Step(step.at, decision.admitted, limit or 0, remaining, reset, decision.retry_after_seconds) == step


def test_window_keys_expire_when_the_window_is_full_again(client):
    clock = Clock()
    who = caller()
    RedisRateLimiter(client, clock=clock).check(who, parse_windows("3/minute,100/hour"))
    assert 19_000 < client.pttl(f"storefront:ratelimit:{who}:3/60") <= 20_000
    assert 35_000 < client.pttl(f"storefront:ratelimit:{who}:100/3600") <= 36_000


def test_redis_time_is_the_clock_when_none_is_given(client):
    limiter = RedisRateLimiter(client)
    who = caller()
    decisions = [limiter.check(who, parse_windows("2/day")) for _ in range(3)]
    assert [d.admitted for d in decisions] == [True, True, False]
    assert 43_199 <= decisions[2].retry_after_seconds <= 43_200


def _hammer(url: str, who: str, windows: str, requests: int, start: Any, results: Any) -> None:
    """One function instance: ``requests`` checks as fast as it can, once both instances are ready."""
    limiter = RedisRateLimiter(Redis.from_url(url))
    parsed = parse_windows(windows)
    start.wait(timeout=30)
    results.put(sum(limiter.check(who, parsed).admitted for _ in range(requests)))


def hammer(who: str, windows: str, requests: int = 150) -> list[int]:
    """Two OS processes hammering one caller's budget at once; how many each got admitted."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_hammer, args=(REDIS_URL, who, windows, requests, start, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # both are connected and waiting
    start.set()
    counts = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return counts


def test_two_processes_hammering_one_consumer_get_exactly_the_limit_of_each_window(redis_client):
    """Windows whose interval (minutes) is far longer than the test, so nothing comes back meanwhile: the
    hour admits exactly its 20, then a bigger hour leaves the day's remaining 10 (a refused request consumes
    nothing, or the day would have less left)."""
    who = f"user:{TENANT}:{uuid.uuid4().hex}"
    first = hammer(who, "20/hour,30/day")
    assert sum(first) == 20
    second = hammer(who, "25/hour,30/day")
    assert sum(second) == 10
    leftover = RedisRateLimiter(redis_client).check(who, parse_windows("25/hour,30/day"))
    assert (leftover.admitted, leftover.limit, leftover.remaining) == (False, 30, 0)


# A user of this run only: a revocation of an earlier run (kept an hour in the shared Redis) cannot refuse it.
RUN_USER = f"u-{uuid.uuid4().hex}"


def token(
    issued_at: int, token_id: str | None = None, user: str = RUN_USER, *, ms: int = 0, session: str | None = None
) -> IssuedToken:
    return IssuedToken(TENANT, user, issued_at_ms=issued_at * 1000 + ms, token_id=token_id, session_id=session)


def test_a_revoked_token_is_refused_until_it_would_have_expired(client):
    limiter, revocations = RedisRateLimiter(client), RedisRevocations(client)
    now, jti, windows = int(time.time()), uuid.uuid4().hex, parse_windows("100/minute")
    who = caller()
    assert limiter.check(who, windows, token(now - 60, jti)).admitted
    revocations.revoke_token(jti, until_epoch=now + 600)
    refused = limiter.check(who, windows, token(now - 60, jti))
    assert (refused.revoked, refused.admitted, refused.limit) == (True, False, None)
    assert 599 <= client.ttl(f"storefront:revoked:token:{jti}") <= 600
    assert limiter.check(who, windows, token(now - 60, uuid.uuid4().hex)).admitted  # another token of the user
    revocations.revoke_token("already-expired", until_epoch=now - 1)
    assert client.exists("storefront:revoked:token:already-expired") == 0


def test_revoking_every_session_refuses_tokens_issued_at_or_before_it(client):
    limiter, revocations = RedisRateLimiter(client), RedisRevocations(client)
    now, user, windows = int(time.time()), uuid.uuid4().hex, parse_windows("100/minute")
    revocations.revoke_sessions(TENANT, user, at_ms=(now - 10) * 1000 + 500)
    assert limiter.check(caller(), windows, token(now - 11, user=user)).revoked
    assert limiter.check(caller(), windows, token(now - 10, user=user, ms=500)).revoked
    # Signed in later within the same second (a ban, an unban, then a login): its token lives.
    assert limiter.check(caller(), windows, token(now - 10, user=user, ms=501)).admitted
    assert limiter.check(caller(), windows, token(now - 9, user=user)).admitted  # a login after the reset
    assert limiter.check(caller(), windows, token(now - 20, user="another")).admitted
    revocations.revoke_sessions(TENANT, user, at_ms=(now - 100) * 1000)  # an older revocation never moves it back
    assert limiter.check(caller(), windows, token(now - 11, user=user)).revoked
    revocations.revoke_sessions(TENANT, user, at_ms=now * 1000)
    assert limiter.check(caller(), windows, token(now - 9, user=user)).revoked
    assert 3600 <= client.ttl(sessions_key(TENANT, user)) <= 3601  # as long as the longest token lives


def test_revoking_a_login_session_refuses_every_token_issued_in_it(client):
    limiter, revocations = RedisRateLimiter(client), RedisRevocations(client)
    now, windows, login, other = int(time.time()), parse_windows("100/minute"), uuid.uuid4().hex, uuid.uuid4().hex
    assert limiter.check(caller(), windows, token(now - 5, uuid.uuid4().hex, session=login)).admitted
    revocations.revoke_session(login, until_epoch=now + 600)
    assert limiter.check(caller(), windows, token(now - 5, uuid.uuid4().hex, session=login)).revoked
    assert limiter.check(caller(), windows, token(now - 1, uuid.uuid4().hex, session=login)).revoked
    assert limiter.check(caller(), windows, token(now - 5, uuid.uuid4().hex, session=other)).admitted
    assert 599 <= client.ttl(f"storefront:revoked:session:{login}") <= 600


def test_anonymous_callers_are_never_checked_for_revocation(client):
    RedisRevocations(client).revoke_sessions(TENANT, RUN_USER, at_ms=int(time.time() * 1000))
    assert RedisRateLimiter(client).check(caller(), parse_windows("1/minute")).admitted


def test_a_check_is_one_round_trip_the_first_time_and_every_time(redis_client):
    url = redis_client.connection_pool.connection_kwargs
    with CountingProxy("127.0.0.1", int(url.get("port", 6379))) as proxy:
        client = Redis(port=proxy.port, db=int(url.get("db", 0)), protocol=2)
        client.ping()
        limiter = RedisRateLimiter(client)
        authenticated = token(int(time.time()) - 5, uuid.uuid4().hex)
        with proxy.counting() as first:
            limiter.check(caller(), parse_windows("100/minute,1000/hour,10000/day"), authenticated)
        with proxy.counting() as warm:
            for _ in range(10):
                limiter.check(caller(), parse_windows("100/minute,1000/hour,10000/day"), authenticated)
        assert (first.flights, warm.flights) == (1, 10)


def test_a_script_redis_lost_is_sent_again():
    client = fakeredis.FakeRedis()  # the machine's Redis is shared: its scripts are never flushed here
    limiter = RedisRateLimiter(client, clock=Clock())
    who, windows = caller(), parse_windows("3/minute")
    assert limiter.check(who, windows).remaining == 2
    client.script_flush()
    assert limiter.check(who, windows).remaining == 1


def test_an_unreachable_redis_answers_unanswered_at_once_and_revocations_fail_loudly():
    client = Redis(
        port=free_port(), socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 1)
    )  # nothing listens there
    limiter = RedisRateLimiter(client, retry_after_seconds=60)
    assert limiter.check(caller(), parse_windows("1/minute")) == UNANSWERED
    started = time.monotonic()
    assert limiter.check(caller(), parse_windows("1/minute")) == UNANSWERED  # not asked again for a while
    assert time.monotonic() - started < 0.05
    with pytest.raises(ServiceUnavailable):
        RedisRevocations(client).revoke_token("jti", int(time.time()) + 60)
    with pytest.raises(ServiceUnavailable):
        RedisRevocations(client).revoke_sessions(TENANT, "u-1", int(time.time() * 1000))


def test_a_redis_that_comes_back_is_used_again(redis_server):
    client = Redis(port=redis_server.port, socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 1))
    limiter = RedisRateLimiter(client, retry_after_seconds=0.3)
    windows = parse_windows("5/minute")
    assert limiter.check("c", windows).remaining == 4
    redis_server.kill()
    assert limiter.check("c", windows) == UNANSWERED
    redis_server.start()  # empty: the script cache too
    time.sleep(0.4)
    assert limiter.check("c", windows).remaining == 4


# A fresh container under production settings with REDIS_URL: the product is in Redis, the limiter asks Redis.
CACHE_HIT_WITH_REDIS = r"""
from tests.fakes import FakeCatalog
from tests.conftest import details
from storefront.application import products
from storefront.domain.products import Product
from uuid import UUID
from redis import Redis
tenant = UUID(event["requestContext"]["authorizer"]["tenant_id"])
import uuid
event["requestContext"]["authorizer"]["sub"] = str(uuid.uuid4())
warm = FakeCatalog()
product = Product.create(tenant, details(), "budget", warm.clock.now())
warm.repository.add(product)
products.get_product(warm.ports, tenant, product.id)
store = Redis.from_url(os.environ["REDIS_URL"])
for key, value in warm.cache.entries.items():
    store.set(key, value, ex=60)
event["path"] = event["path"].rsplit("/", 1)[0] + "/" + str(product.id)
event["pathParameters"] = {"product_id": str(product.id)}
module = importlib.import_module(MODULE)
result = module.handler(event, LambdaContext("budget"))
headers = result["multiValueHeaders"]
print(json.dumps({"status": result["statusCode"], "x_cache": headers.get("X-Cache"),
                  "limit": headers.get("X-RateLimit-Limit"), "modules": sorted(sys.modules)}))
"""


def test_a_limited_cache_hit_on_a_fresh_container_still_loads_no_database_library():
    from tests.unit.test_import_budget import FORBIDDEN, PRODUCTION, heavy, loaded

    environment = {**PRODUCTION, "REDIS_URL": REDIS_URL}
    result = loaded("products.get_product", "products/get_product.json", CACHE_HIT_WITH_REDIS, environment)
    assert (result["status"], result["x_cache"], result["limit"]) == (200, ["HIT"], ["100"])
    assert heavy(result["modules"], (*FORBIDDEN, "sqlalchemy")) == []
