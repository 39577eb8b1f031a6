"""Rate limits and revocations over HTTP, through the local gateway in Kong mode and in API Gateway mode."""

from __future__ import annotations

import time
import uuid

from redis import Redis

from localdev.redis_stand_in import stand_in_url
from localdev.stack import DEMO_TENANT
from storefront.adapters.cache.rate_limiter import RedisRevocations
from storefront.config import DEFAULT_RATE_LIMITS
from tests.e2e.conftest import token

LIMIT = int(DEFAULT_RATE_LIMITS.split("/")[0])  # the minute window: the tightest


def test_every_answer_carries_the_consumers_budget_and_a_burst_ends_in_429(gateway):
    _, client = gateway
    own = token("user", sub=str(uuid.uuid4()))  # a budget of its own
    first = client.call("GET", "/products", token=own, headers={"Origin": "http://localhost:5173"})
    assert first.status == 200
    assert (first.headers["x-ratelimit-limit"], first.headers["x-ratelimit-remaining"]) == (str(LIMIT), str(LIMIT - 1))
    assert "X-RateLimit-Remaining" in first.headers["access-control-expose-headers"]
    # A burst of the limit at once, then one request per 600 ms: a slow burst earns a few more.
    started, admitted = time.monotonic(), 1
    while (refused := client.call("GET", "/products/not-a-uuid", token=own)).status == 422:  # refusals count too
        admitted += 1
        assert admitted <= 3 * LIMIT
    assert LIMIT <= admitted <= LIMIT + int((time.monotonic() - started) / 0.6) + 1
    assert (refused.status, refused.code) == (429, "RATE_001")
    assert refused.json["status_code"] == 429
    assert refused.headers["retry-after"] == "1"  # one request comes back every 600 ms
    assert refused.json["error"]["details"] == {"retry_after_seconds": 1}
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-request-id"] == refused.json["meta"]["request_id"]
    time.sleep(0.7)
    assert client.call("GET", "/products", token=own).status == 200
    assert client.call("GET", "/products", token=token("user", sub=str(uuid.uuid4()))).status == 200


def test_a_user_whose_sessions_were_revoked_is_refused_on_the_next_request(gateway):
    """What a ban or a password reset does: the token is still unexpired and correctly signed."""
    _, client = gateway
    user = str(uuid.uuid4())
    held = token("admin", sub=user)
    assert client.call("GET", "/products", token=held).status == 200
    url = stand_in_url(client.database_url)
    assert url is not None
    RedisRevocations(Redis.from_url(url)).revoke_sessions(DEMO_TENANT, user, int(time.time() * 1000))
    for method, path in (("GET", "/products"), ("POST", "/products")):
        refused = client.call(method, path, token=held, body={} if method == "POST" else None)
        assert (refused.status, refused.code) == (401, "AUTH_001")
        assert refused.json["error"]["message"] == "Missing or invalid credentials"
    time.sleep(1.1)  # a login after the revocation issues a token the revocation does not cover
    assert client.call("GET", "/products", token=token("admin", sub=user)).status == 200
