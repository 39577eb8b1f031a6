"""The circuit breaker's rules as tables: calls over time and what each must get.

The unit tests run them through the breaker's own in-process state; the integration tests run the same
tables through its Redis scripts (a real Redis and the fakeredis of the local run), so the two agree.
Each step: milliseconds since the start, the action (``call``: ask to make a call; ``ok``/``fail``: record
the outcome of one) and what it must answer: for ``call`` "go", "trial" (the half-open trial call) or
"wait <ms>" (refused: ExternalUnavailable with Retry-After); for ``ok``/``fail`` the state after it.
Policy in every table: 3 consecutive failures open it, 1000 ms open, a trial holds its lease 500 ms.
"""

from __future__ import annotations

from typing import NamedTuple

from storefront.adapters.payments.breaker import BreakerPolicy, SharedCircuitBreaker

POLICY = BreakerPolicy(failure_threshold=3, reset_timeout_ms=1000, probe_timeout_ms=500)


class Step(NamedTuple):
    at: int
    action: str
    expect: str


BREAKER_CASES: dict[str, list[Step]] = {
    "closed: calls go, fewer failures than the threshold keep it closed": [
        Step(0, "call", "go"),
        Step(1, "fail", "closed"),
        Step(2, "call", "go"),
        Step(3, "fail", "closed"),
        Step(4, "call", "go"),
    ],
    "a success between failures resets the count (consecutive failures only)": [
        Step(0, "fail", "closed"),
        Step(1, "fail", "closed"),
        Step(2, "ok", "closed"),
        Step(3, "fail", "closed"),
        Step(4, "fail", "closed"),
        Step(5, "call", "go"),
    ],
    "the threshold opens it; calls then wait for the rest of the reset timeout": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(100, "fail", "open"),
        Step(100, "call", "wait 1000"),
        Step(600, "call", "wait 500"),
        Step(1099, "call", "wait 1"),
    ],
    "after the reset timeout one trial goes; its success closes it": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(1000, "call", "trial"),
        Step(1010, "call", "wait 490"),
        Step(1200, "ok", "closed"),
        Step(1201, "call", "go"),
        Step(1202, "fail", "closed"),
    ],
    "a failed trial opens it for another reset timeout": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(1500, "call", "trial"),
        Step(1600, "fail", "open"),
        Step(1600, "call", "wait 1000"),
        Step(2600, "call", "trial"),
    ],
    "a trial that never reports lapses after its lease; the next caller gets the trial": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(1000, "call", "trial"),
        Step(1499, "call", "wait 1"),
        Step(1500, "call", "trial"),
        Step(1700, "ok", "closed"),
    ],
    "a late outcome of a call let through before it opened changes nothing while open": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(10, "ok", "open"),
        Step(20, "fail", "open"),
        Step(30, "call", "wait 970"),
    ],
}


class Clock:
    """Milliseconds, moved by the test."""

    def __init__(self, start: int = 1_800_000_000_000) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> int:
        return self.now


def play(breaker: SharedCircuitBreaker, clock: Clock, steps: list[Step]) -> list[Step]:
    """What ``breaker`` answers to ``steps`` (compare with ``steps``)."""
    answers = []
    for step in steps:
        clock.now = clock.start + step.at
        if step.action == "call":
            permit = breaker.permit()
            answer = ("trial" if permit.probe else "go") if permit.allowed else f"wait {permit.retry_after_ms}"
        else:
            answer = breaker.record(success=step.action == "ok")
        answers.append(Step(step.at, step.action, answer))
    return answers
