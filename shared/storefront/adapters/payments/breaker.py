"""A circuit breaker whose state every container shares through Redis, one Lua script per step.

Why not pybreaker's CircuitRedisStorage (read at danielfm/pybreaker, src/pybreaker/__init__.py): its
storage makes a separate Redis call per field (GET state, INCR fail_counter, GET it back, SET state, SET
opened_at in a WATCH transaction): four to six round trips per call, and the decision to open is a read
after an increment, so two containers can disagree about it. Every container whose reset timeout has
elapsed moves to half-open at once, so a recovering provider gets one trial call per container, not one.
Its clock is ``datetime.now()`` inside the library (whole seconds in Redis), so the transitions cannot be
tested with a fake clock. Its constructor calls Redis (SETNX) without catching errors, so a container
starting while Redis is down fails; later each property catches RedisError and answers "closed" and "no
failures", so with Redis down the breaker never opens, and every call pays one Redis timeout per field.

Here one script decides before a call (``ACQUIRE``) and one records its outcome (``RECORD``), atomically,
with Redis's own clock (``TIME``) so containers whose clocks disagree still agree on when the breaker
half-opens. The rules (``BreakerState``, the same in Python and in Lua):

- closed: calls go through; a failed call counts, a successful one resets the count; ``failure_threshold``
  consecutive failures open the breaker.
- open: calls fail fast until ``reset_timeout`` has passed; then the first caller gets the one trial call
  (half-open) and holds it for ``probe_timeout`` (the longest a call can take).
- half-open: other callers fail fast while the trial is out; its success closes the breaker, its failure
  opens it again for another ``reset_timeout``; a trial that never reported (its container died) lapses
  after ``probe_timeout`` and the next caller gets the trial.

The state is one hash, ``storefront:breaker:<name>`` (absent = closed with no failures), expiring an hour
after its last change, so failures an hour apart are not "consecutive".

Redis unreachable: the breaker logs it and keeps this container's own state (the same rules, in process)
for a few seconds before asking Redis again; payments go on, each container counting its own failures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from redis import Redis

from storefront.adapters.cache.degrading import Degrading
from storefront.adapters.cache.rate_limiter import _Script
from storefront.domain.errors import ExternalUnavailable
from storefront.observability import logger, metrics

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
PREFIX = "storefront:breaker:"
MEMORY_MS = 3_600_000  # how long a breaker's state outlives its last change

Clock = Callable[[], int]  # milliseconds


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When the breaker opens and for how long (milliseconds)."""

    failure_threshold: int
    reset_timeout_ms: int
    probe_timeout_ms: int

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.reset_timeout_ms <= 0 or self.probe_timeout_ms <= 0:
            raise ValueError("a breaker needs a threshold >= 1 and positive timeouts")

    @property
    def ttl_ms(self) -> int:
        """How long the shared state is kept after its last change."""
        return self.reset_timeout_ms + self.probe_timeout_ms + MEMORY_MS


@dataclass(frozen=True, slots=True)
class Permit:
    """What ``acquire`` answered: whether the call may go, whether it is the half-open trial, and how long
    until one may be tried again when it may not."""

    allowed: bool
    probe: bool = False
    retry_after_ms: int = 0


@dataclass(slots=True)
class BreakerState:
    """The breaker's rules on one container's own state: what Redis's scripts do to the shared one."""

    state: str = CLOSED
    failures: int = 0
    until_ms: int = 0  # open: when it may half-open; half-open: when the trial's lease lapses

    def acquire(self, now_ms: int, policy: BreakerPolicy) -> Permit:
        """May a call go now? (Takes the half-open trial when the breaker is due for one.)"""
        if self.state == CLOSED:
            return Permit(allowed=True)
        if now_ms < self.until_ms:
            return Permit(allowed=False, retry_after_ms=self.until_ms - now_ms)
        self.state, self.until_ms = HALF_OPEN, now_ms + policy.probe_timeout_ms
        return Permit(allowed=True, probe=True)

    def record(self, now_ms: int, success: bool, policy: BreakerPolicy) -> str:
        """Count a call's outcome; returns the state after it."""
        if self.state == OPEN:  # a call let through before the breaker opened: the open period stands
            return self.state
        if success:
            self.state, self.failures, self.until_ms = CLOSED, 0, 0
            return self.state
        failures = self.failures + 1 if self.state == CLOSED else 0
        if self.state == HALF_OPEN or failures >= policy.failure_threshold:
            self.state, self.failures, self.until_ms = OPEN, 0, now_ms + policy.reset_timeout_ms
        else:
            self.failures = failures
        return self.state


_NOW = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
"""

# KEYS[1] the breaker; ARGV[1] now in ms ('' = Redis's clock), ARGV[2] probe timeout ms, ARGV[3] ttl ms.
# Returns {allowed, probe, retry after ms}.
ACQUIRE = (
    _NOW
    + """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then
  return {1, 0, 0}
end
local due = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < due then
  return {0, 0, due - now}
end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'until', string.format('%.0f', now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, 1, 0}
"""
)

# KEYS[1] the breaker; ARGV[1] now in ms ('' = Redis's clock), ARGV[2] 1 = success / 0 = failure,
# ARGV[3] failure threshold, ARGV[4] reset timeout ms, ARGV[5] ttl ms. Returns {state before, state after}.
RECORD = (
    _NOW
    + """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'open' then
  return {state, state}
end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  return {state, 'closed'}
end
local failures = 0
if state == 'closed' then
  failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0') + 1
end
if state == 'half_open' or failures >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'failures', 0, 'until', string.format('%.0f', now + tonumber(ARGV[4])))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {state, 'open'}
end
redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', failures)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {state, 'closed'}
"""
)


def monotonic_ms() -> int:
    """This container's clock for its own state (milliseconds; only differences matter)."""
    return time.monotonic_ns() // 1_000_000


class SharedCircuitBreaker:
    """The breaker named ``name``, shared through Redis (``client``; None: this container's state only).

    ``clock`` replaces Redis's clock and this container's (tests drive the rules with it).
    """

    def __init__(
        self,
        name: str,
        policy: BreakerPolicy,
        client: Redis | None,
        *,
        clock: Clock | None = None,
        redis_retry_after_seconds: float = 5.0,
    ) -> None:
        self.name = name
        self._key = PREFIX + name
        self._policy = policy
        self._clock = clock
        self._local = BreakerState()
        self._redis = Degrading(
            "circuit breaker state unavailable in Redis; this container keeps its own",
            retry_after_seconds=redis_retry_after_seconds,
        )
        self._acquire = _Script(client, ACQUIRE) if client is not None else None
        self._record = _Script(client, RECORD) if client is not None else None

    def acquire(self) -> bool:
        """Let a call go, or raise ExternalUnavailable (EXT_002) while the breaker is open; True when the
        call is the half-open trial."""
        permit = self.permit()
        if not permit.allowed:
            metrics.add_metric(name="CircuitBreakerOpen", unit=MetricUnit.Count, value=1)
            error = ExternalUnavailable("The payment provider is unavailable; try again later")
            error.retry_after = max(1, math.ceil(permit.retry_after_ms / 1000))
            raise error
        return permit.probe

    def permit(self) -> Permit:
        """Ask whether a call may go now (``acquire`` without the exception); a granted trial is taken."""
        permit = self._shared_acquire()
        return permit if permit is not None else self._local.acquire(self._local_now(), self._policy)

    def record(self, success: bool) -> str:
        """Count the outcome of a call that ``acquire`` let go (success: the provider is healthy); returns the
        breaker's state after it."""
        change = self._shared_record(success)
        if change is None:
            before = self._local.state
            change = (before, self._local.record(self._local_now(), success, self._policy))
        before, after = change
        if before != after:
            if after == OPEN:
                metrics.add_metric(name="CircuitBreakerOpened", unit=MetricUnit.Count, value=1)
            log = logger.warning if after == OPEN else logger.info
            log("circuit breaker " + after, extra={"breaker": self.name, "from": before})
        return after

    def _shared_acquire(self) -> Permit | None:
        if self._acquire is None:
            return None
        script = self._acquire
        args: list[str | int] = [self._now_arg(), self._policy.probe_timeout_ms, self._policy.ttl_ms]
        answer: Any = self._redis.call("breaker acquire", lambda: script.run([self._key], args))
        if not isinstance(answer, list) or len(answer) != 3:
            return None
        allowed, probe, retry_after_ms = (int(value) for value in answer)
        return Permit(allowed=bool(allowed), probe=bool(probe), retry_after_ms=retry_after_ms)

    def _shared_record(self, success: bool) -> tuple[str, str] | None:
        if self._record is None:
            return None
        script = self._record
        policy = self._policy
        args: list[str | int] = [
            self._now_arg(),
            1 if success else 0,
            policy.failure_threshold,
            policy.reset_timeout_ms,
            policy.ttl_ms,
        ]
        answer: Any = self._redis.call("breaker record", lambda: script.run([self._key], args))
        if not isinstance(answer, list) or len(answer) != 2:
            return None
        before, after = (value.decode() if isinstance(value, bytes) else str(value) for value in answer)
        return before, after

    def _now_arg(self) -> str:
        return "" if self._clock is None else str(self._clock())

    def _local_now(self) -> int:
        return monotonic_ms() if self._clock is None else self._clock()
