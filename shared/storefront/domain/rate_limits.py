"""Rate limits: the windows a caller is held to, and the GCRA rule that decides each request against all of them.

A window ``100/minute`` admits a burst of 100 requests and then one every 600 ms (the emission interval
``T = period / limit``): the Generic Cell Rate Algorithm keeps, per window, the *theoretical arrival
time* (TAT) of the caller's next request. A request at ``now`` moves it to ``max(TAT, now) + T`` and is
admitted when that lies no further than one period ahead of ``now``. So a fresh caller gets exactly
``limit`` requests at once, a caller that keeps within the rate is never refused, and a refused request
changes nothing. Several windows (minute, hour, day) are decided together: the request is admitted only
when every window admits it, and only then does any window consume it.

Times are whole microseconds (integers, exact in the Lua doubles of the Redis script that applies the same
rule) and ``T`` is rounded down to a microsecond; ``Window`` refuses a limit for which that rounding would
let more than ``limit`` requests through at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

MICROSECONDS = 1_000_000
PERIODS: dict[str, int] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_WINDOWS = len(PERIODS)


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` requests per ``period`` (a burst of ``limit``, then one per emission interval)."""

    limit: int
    period: str

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r} (use {', '.join(PERIODS)})")
        if not 1 <= self.limit <= self.period_us:
            raise ValueError(f"{self}: the limit must be between 1 and one per microsecond")
        if self.period_us // self.interval_us != self.limit:
            raise ValueError(f"{self}: too many requests per {self.period} to count exactly")

    @property
    def period_seconds(self) -> int:
        return PERIODS[self.period]

    @property
    def period_us(self) -> int:
        return self.period_seconds * MICROSECONDS

    @property
    def interval_us(self) -> int:
        """The emission interval T: one request's share of the period, rounded down to a microsecond."""
        return self.period_us // self.limit

    def __str__(self) -> str:
        return f"{self.limit}/{self.period}"


@cache
def parse_windows(text: str) -> tuple[Window, ...]:
    """``"100/minute,1000/hour"`` as windows, shortest period first; ValueError says what is wrong.

    Each period at most once, and a longer period may not allow fewer requests than a shorter one (Kong's
    rate-limiting plugin refuses the same configuration).
    """
    windows: list[Window] = []
    for entry in (e.strip() for e in text.split(",")):
        count, slash, period = entry.partition("/")
        if not slash or not count.strip().isdigit():
            raise ValueError(f"{entry!r} is not <count>/<period> (e.g. 100/minute)")
        windows.append(Window(int(count), period.strip()))
    if len({w.period for w in windows}) != len(windows):
        raise ValueError("each period may appear once")
    windows.sort(key=lambda w: w.period_seconds)
    for shorter, longer in pairwise(windows):
        if longer.limit < shorter.limit:
            raise ValueError(f"{longer} allows fewer requests than {shorter}")
    return tuple(windows)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What GCRA decided for one request over every window.

    ``window`` is the one to report: when admitted, the one with the fewest requests left (the longer one
    on a tie); when refused, the one that refuses for longest. ``remaining`` counts the requests that window
    still admits now, ``reset_us`` is how long until it is full again, ``retry_after_us`` how long until the
    request would be admitted (0 when it was). ``arrivals`` are the new TATs to store (None when refused:
    nothing is consumed).
    """

    admitted: bool
    window: Window
    remaining: int
    reset_us: int
    retry_after_us: int
    arrivals: tuple[int, ...] | None

    @property
    def reset_seconds(self) -> int:
        return seconds_up(self.reset_us)

    @property
    def retry_after_seconds(self) -> int:
        return seconds_up(self.retry_after_us) if self.retry_after_us > 0 else 0


def seconds_up(microseconds: int) -> int:
    """Whole seconds, rounded up, and at least 1: what a client waits before a header's promise holds."""
    return max(1, math.ceil(microseconds / MICROSECONDS))


def decide(windows: Sequence[Window], arrivals: Sequence[int | None], now_us: int) -> Verdict:
    """GCRA over every window at once: ``arrivals`` are the stored TATs (None: never seen, or expired)."""
    if not windows or len(windows) != len(arrivals):
        raise ValueError("one stored arrival per window, and at least one window")
    new_arrivals: list[int] = []
    best: tuple[int, int, int] | None = None  # remaining, period, index
    refusal: tuple[int, int] | None = None  # retry after, index
    for index, (window, stored) in enumerate(zip(windows, arrivals, strict=True)):
        tat = now_us if stored is None or stored < now_us else stored
        new_tat = tat + window.interval_us
        ahead = new_tat - now_us
        if ahead > window.period_us:
            retry = ahead - window.period_us
            if refusal is None or retry > refusal[0]:
                refusal = (retry, index)
            new_arrivals.append(tat)
            continue
        remaining = (window.period_us - ahead) // window.interval_us
        if best is None or remaining < best[0] or (remaining == best[0] and window.period_us > best[1]):
            best = (remaining, window.period_us, index)
        new_arrivals.append(new_tat)
    if refusal is not None:
        retry, index = refusal
        tat = max(arrivals[index] or now_us, now_us)
        return Verdict(False, windows[index], 0, tat - now_us, retry, None)
    assert best is not None
    remaining, _, index = best
    return Verdict(True, windows[index], remaining, new_arrivals[index] - now_us, 0, tuple(new_arrivals))


def consumer_key(tenant_id: object, user_id: str) -> str:
    """The rate-limit key of an authenticated caller: one budget per user of a tenant, in every function."""
    return f"user:{tenant_id}:{user_id}"


def client_key(address: str) -> str:
    """The rate-limit key of an anonymous caller: its client address (an IPv6 address by its /64 network,
    which one subscriber holds whole, so rotating addresses inside it buys nothing)."""
    if ":" in address:
        import ipaddress  # only for IPv6 callers

        try:
            return f"ip:{ipaddress.IPv6Network((address, 64), strict=False).network_address}/64"
        except ValueError:
            pass
    return f"ip:{address}"
