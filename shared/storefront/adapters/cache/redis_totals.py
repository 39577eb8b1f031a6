"""The ListTotals port on Redis: one hash per scope holding the scope's generation and its lists' counts.

A scope's hash is ``{GENERATION: <random>, "<generation>:<listing>": <count>}`` and expires ``ttl`` seconds
after its generation began, which bounds how long a write made outside the application (a bulk load, a
manual fix) can leave a count behind. ``forget`` deletes the hash; the next ``recall`` starts a new random
generation. A count is stored under the generation recalled before it was read from the database, so a
count read before a write but stored after it lands under a generation nobody asks for: it is never
served. Each call is one round trip (the Lua scripts run atomically in Redis).
"""

from __future__ import annotations

import secrets
from typing import Any

from redis import Redis

from storefront.adapters.cache.degrading import Degrading
from storefront.application.ports import RecalledTotal

GENERATION = "#generation"

# KEYS[1] the scope's hash; ARGV: listing, a new generation (used when none runs), ttl seconds.
_RECALL = """
local generation = redis.call('HGET', KEYS[1], ARGV[4])
if not generation then
  generation = ARGV[2]
  redis.call('HSET', KEYS[1], ARGV[4], generation)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {generation, redis.call('HGET', KEYS[1], generation .. ':' .. ARGV[1])}
"""

# KEYS[1] the scope's hash; ARGV: listing, the generation recalled, the count.
_REMEMBER = """
if redis.call('HGET', KEYS[1], ARGV[4]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[2] .. ':' .. ARGV[1], ARGV[3])
  return 1
end
return 0
"""


class RedisListTotals:
    """Remembered list counts in Redis; degrades to "nothing remembered" while Redis fails."""

    def __init__(self, client: Redis, *, ttl_seconds: int, retry_after_seconds: float = 5.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._redis = Degrading(
            "list totals unavailable; counting in the database", retry_after_seconds=retry_after_seconds
        )
        self._recall = client.register_script(_RECALL)
        self._remember = client.register_script(_REMEMBER)

    def recall(self, scope: str, listing: str) -> RecalledTotal:
        new_generation = secrets.token_hex(8)
        args: list[str | int] = [listing, new_generation, self._ttl, GENERATION]
        answer: Any = self._redis.call("recall", lambda: self._recall(keys=[_key(scope)], args=args))
        if not isinstance(answer, list) or len(answer) != 2:
            return RecalledTotal(None, None)
        generation, count = answer
        return RecalledTotal(int(count) if count is not None else None, _text(generation))

    def remember(self, scope: str, listing: str, generation: str, matches: int) -> None:
        args: list[str | int] = [listing, generation, matches, GENERATION]
        self._redis.call("remember", lambda: self._remember(keys=[_key(scope)], args=args))

    def forget(self, scope: str) -> None:
        self._redis.call("forget", lambda: self._client.delete(_key(scope)), always=True)


def _key(scope: str) -> str:
    return f"storefront:totals:{scope}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
