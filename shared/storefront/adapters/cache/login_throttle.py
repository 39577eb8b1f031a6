"""Failed-login counting and lockout in Redis, shared by every function instance.

Each key (an account, a client IP) has a failure counter that lives ``window`` seconds from its first
failure; when a counter reaches its key's threshold the key is locked for ``lock`` seconds. Counting and
locking run in one Lua script (one round trip, atomic across instances). Redis unreachable: nothing is
counted and nothing is locked (the request is logged and answered as usual): the gate fails open like
the rate limiter, and the argon2 cost per attempt still holds.
"""

from __future__ import annotations

from typing import Any

from redis import Redis

from storefront.adapters.cache.degrading import Degrading

# KEYS: lock key, counter key, per throttled key. ARGV: window seconds, lock seconds, then a threshold per key.
_FAIL = """
local window, lock, longest = tonumber(ARGV[1]), tonumber(ARGV[2]), -1
for i = 1, #KEYS, 2 do
  local failures = redis.call('INCR', KEYS[i + 1])
  if failures == 1 then redis.call('EXPIRE', KEYS[i + 1], window) end
  if failures >= tonumber(ARGV[2 + (i + 1) / 2]) then
    redis.call('SET', KEYS[i], '1', 'EX', lock)
    redis.call('DEL', KEYS[i + 1])
    longest = lock
  end
end
return longest
"""

# KEYS: the lock keys. The longest remaining lock in seconds, or -1.
_LOCKED = """
local longest = -1
for i = 1, #KEYS do
  local ttl = redis.call('TTL', KEYS[i])
  if ttl > longest then longest = ttl end
end
return longest
"""


class RedisLoginThrottle:
    """The LoginThrottle port on Redis; ``thresholds`` maps a key's kind (its prefix before ':') to the
    number of failures that locks it."""

    def __init__(self, client: Redis, *, thresholds: dict[str, int], window_seconds: int, lock_seconds: int) -> None:
        self._client = client
        self._thresholds = thresholds
        self._window = window_seconds
        self._lock = lock_seconds
        self._redis = Degrading("login throttle unavailable; not counting failures")
        self._fail = client.register_script(_FAIL)
        self._locked = client.register_script(_LOCKED)

    def retry_after(self, keys: tuple[str, ...]) -> int | None:
        answer: Any = self._redis.call("locked", lambda: self._locked(keys=[_lock_key(k) for k in keys]))
        return int(answer) if isinstance(answer, int) and answer > 0 else None

    def failed(self, keys: tuple[str, ...]) -> int | None:
        redis_keys = [name for k in keys for name in (_lock_key(k), _count_key(k))]
        args: list[str | int] = [self._window, self._lock, *(self._threshold(k) for k in keys)]
        answer: Any = self._redis.call("failed", lambda: self._fail(keys=redis_keys, args=args))
        return int(answer) if isinstance(answer, int) and answer > 0 else None

    def succeeded(self, key: str) -> None:
        self._redis.call("succeeded", lambda: self._client.delete(_count_key(key)))

    def _threshold(self, key: str) -> int:
        return self._thresholds.get(key.split(":", 1)[0], min(self._thresholds.values()))


def _lock_key(key: str) -> str:
    return f"storefront:throttle:lock:{key}"


def _count_key(key: str) -> str:
    return f"storefront:throttle:failures:{key}"
