"""The RateLimiter and Revocations ports on Redis: one Lua script answers both questions in one round trip.

For each request the script, atomically (so exactly, whatever the number of function instances):

1. when the caller is authenticated, refuses its token if the token was revoked
   (``storefront:revoked:token:<jti>`` exists), or its login session (``storefront:revoked:session:<sid>``,
   after a logout or a replayed refresh token), or if every session of its user was revoked at or after the
   token was issued (``storefront:revoked:user:<tenant>:<user>`` holds a time in ms ``>=`` the token's);
2. applies GCRA (``storefront.domain.rate_limits``, the same rule and the same integer arithmetic) to every
   window of the caller's budget, ``storefront:ratelimit:<caller>:<limit>/<period seconds>`` each holding
   the window's theoretical arrival time in microseconds and expiring when the window is full again. The
   request is admitted only when every window admits it; only then are the windows written.

The clock is Redis's own (``TIME``): every function instance asks the same clock, so instances whose
clocks disagree by a few milliseconds cannot admit more between them than the limit. (A clock passed to
the constructor replaces it: the tests drive the script through GCRA's rules with a fake clock.) The
script is sent with EVAL the first time (Redis keeps it) and by its SHA afterwards, so every request,
the first of a container included, is one round trip; after Redis lost its script cache it is two.

Redis unreachable: the check answers "unanswered" (and, like the cache, skips Redis for a few seconds),
so the caller decides whether to fail open. Recording a revocation fails loudly (ServiceUnavailable):
a logout that silently did not revoke would be worse than one that reports it could not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from redis import Redis
from redis.exceptions import NoScriptError, RedisError

from storefront.adapters.cache.degrading import Degrading
from storefront.application.ports import UNANSWERED, IssuedToken, RateDecision
from storefront.domain.errors import ServiceUnavailable
from storefront.domain.rate_limits import Window, seconds_up
from storefront.observability import logger

PREFIX = "storefront:ratelimit:"
REVOKED_TOKEN = "storefront:revoked:token:"  # noqa: S105 - a key prefix, not a secret
REVOKED_SESSION = "storefront:revoked:session:"
REVOKED_SESSIONS = "storefront:revoked:user:"
# The longest an access token lives (the contract's maximum): a sessions revocation outlives every token it refuses.
MAX_TOKEN_LIFETIME_SECONDS = 3600

# KEYS: one per window, then (authenticated) the user's sessions key and the keys that revoke the token when
# any exists (its jti's, its sid's). ARGV[1] now in microseconds ('' = Redis's clock); ARGV[2] the number of
# windows n; ARGV[3] when the token was issued, in ms ('' = anonymous); ARGV[4 .. 3+n] each window's emission
# interval, ARGV[4+n .. 3+2n] its period (both in us).
# Returns {revoked, admitted, window (1-based), remaining, reset us, retry after us}.
CHECK = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local n = tonumber(ARGV[2])
if ARGV[3] ~= '' then
  local revoked_at = redis.call('GET', KEYS[n + 1])
  if revoked_at and tonumber(ARGV[3]) <= tonumber(revoked_at) then
    return {1, 0, 0, 0, 0, 0}
  end
  if #KEYS > n + 1 and redis.call('EXISTS', unpack(KEYS, n + 2)) > 0 then
    return {1, 0, 0, 0, 0, 0}
  end
end
local arrivals = {}
local best, best_period, best_index = nil, 0, 0
local worst, worst_index, worst_tat = -1, 0, 0
for i = 1, n do
  local interval = tonumber(ARGV[3 + i])
  local period = tonumber(ARGV[3 + n + i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local ahead = tat + interval - now
  if ahead > period then
    if ahead - period > worst then worst, worst_index, worst_tat = ahead - period, i, tat end
  else
    local remaining = math.floor((period - ahead) / interval)
    if best == nil or remaining < best or (remaining == best and period > best_period) then
      best, best_period, best_index = remaining, period, i
    end
    arrivals[i] = tat + interval
  end
end
if worst_index > 0 then
  return {0, 0, worst_index, 0, worst_tat - now, worst}
end
for i = 1, n do
  redis.call('SET', KEYS[i], string.format('%.0f', arrivals[i]), 'PX', math.ceil((arrivals[i] - now) / 1000))
end
return {0, 1, best_index, best, arrivals[best_index] - now, 0}
"""

# KEYS[1] the user's sessions key; ARGV[1] the revocation time (ms), ARGV[2] when the key may go (epoch seconds).
# A later revocation wins; an earlier one never moves the mark back.
REVOKE_SESSIONS = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
return 1
"""

Clock = Callable[[], int]  # microseconds since the epoch


class RedisRateLimiter:
    """The RateLimiter port: revocations and every window in one script, one round trip per request."""

    def __init__(self, client: Redis, *, clock: Clock | None = None, retry_after_seconds: float = 5.0) -> None:
        self._client = client
        self._clock = clock
        self._redis = Degrading(
            "rate limiter unavailable; requests are not limited or checked for revocation",
            retry_after_seconds=retry_after_seconds,
        )
        self._script = _Script(client, CHECK)

    def check(self, caller: str, windows: Sequence[Window], token: IssuedToken | None = None) -> RateDecision:
        keys = [f"{PREFIX}{caller}:{w.limit}/{w.period_seconds}" for w in windows]
        issued = ""
        if token is not None:
            issued = str(token.issued_at_ms)
            keys.append(sessions_key(token.tenant_id, token.user_id))
            if token.token_id:
                keys.append(REVOKED_TOKEN + token.token_id)
            if token.session_id:
                keys.append(REVOKED_SESSION + token.session_id)
        now = "" if self._clock is None else str(self._clock())
        args: list[str | int] = [now, len(windows), issued]
        args += [w.interval_us for w in windows] + [w.period_us for w in windows]
        answer: Any = self._redis.call("check", lambda: self._script.run(keys, args))
        if not isinstance(answer, list) or len(answer) != 6:
            return UNANSWERED
        revoked, admitted, index, remaining, reset_us, retry_us = (int(v) for v in answer)
        if revoked:
            return RateDecision(admitted=False, revoked=True)
        window = windows[index - 1]
        return RateDecision(
            admitted=bool(admitted),
            limit=window.limit,
            remaining=remaining,
            reset_seconds=seconds_up(reset_us),
            retry_after_seconds=seconds_up(retry_us) if retry_us > 0 else 0,
        )


class RedisRevocations:
    """The Revocations port: keys the rate limiter's script reads; each call is one round trip."""

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._revoke_sessions = _Script(client, REVOKE_SESSIONS)

    def revoke_token(self, token_id: str, until_epoch: int) -> None:
        self._record("revoke_token", lambda: self._client.set(REVOKED_TOKEN + token_id, "1", exat=until_epoch))

    def revoke_session(self, session_id: str, until_epoch: int) -> None:
        key = REVOKED_SESSION + session_id
        self._record("revoke_session", lambda: self._client.set(key, "1", exat=until_epoch))

    def revoke_sessions(self, tenant_id: UUID, user_id: str, at_ms: int) -> None:
        key = sessions_key(tenant_id, user_id)
        until = at_ms // 1000 + 1 + MAX_TOKEN_LIFETIME_SECONDS
        self._record("revoke_sessions", lambda: self._revoke_sessions.run([key], [at_ms, until]))

    @staticmethod
    def _record(operation: str, run: Callable[[], object]) -> None:
        try:
            run()
        except RedisError as error:
            logger.error("revocation not recorded", extra={"operation": operation, "error": str(error)})
            raise ServiceUnavailable() from error


def sessions_key(tenant_id: UUID, user_id: str) -> str:
    """The key marking when every session of a user was last revoked."""
    return f"{REVOKED_SESSIONS}{tenant_id}:{user_id}"


class _Script:
    """A Lua script run by its SHA, sent whole (EVAL) the first time and whenever Redis no longer has it.

    redis-py's own Script sends EVALSHA, then SCRIPT LOAD and EVALSHA again on NOSCRIPT: three round trips
    for the first request of every container. EVAL makes Redis keep the script, so this costs one.
    """

    def __init__(self, client: Redis, source: str) -> None:
        self._client = client
        self._source = source
        self._sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
        self._loaded = False

    def run(self, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        if self._loaded:
            try:
                return self._client.evalsha(self._sha, len(keys), *keys, *args)
            except NoScriptError:
                self._loaded = False  # Redis restarted or its scripts were flushed
        answer = self._client.eval(self._source, len(keys), *keys, *args)
        self._loaded = True
        return answer
