"""The GCRA rules as tables: one caller's requests over time and what each must get.

The unit tests run them through ``storefront.domain.rate_limits.decide`` and the fake limiter; the
integration tests run the same tables through the Redis script on a real Redis, so the two agree.
Each step: seconds since the first request, then admitted, the reported window's limit, the requests it
still admits, the seconds until it is full again (X-RateLimit-Reset) and Retry-After (0 when admitted).
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    at: float
    admitted: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int


GCRA_CASES: dict[str, tuple[str, list[Step]]] = {
    # A fresh caller gets the whole burst at once, then one request per emission interval (20 s).
    "a burst of the limit, then one per interval": (
        "3/minute",
        [
            Step(0, True, 3, 2, 20, 0),
            Step(0, True, 3, 1, 40, 0),
            Step(0, True, 3, 0, 60, 0),
            Step(0, False, 3, 0, 60, 20),
            Step(19.999, False, 3, 0, 41, 1),
            Step(20, True, 3, 0, 60, 0),
            Step(20, False, 3, 0, 60, 20),
            Step(140, True, 3, 2, 20, 0),  # full again after a quiet minute
        ],
    ),
    # Refused requests consume nothing: the next one is admitted exactly one interval after the last admitted.
    "refusals do not push the next admission back": (
        "1/minute",
        [
            Step(0, True, 1, 0, 60, 0),
            Step(30, False, 1, 0, 30, 30),
            Step(59, False, 1, 0, 1, 1),
            Step(60, True, 1, 0, 60, 0),
        ],
    ),
    # Every window decides: the second refuses the third request, the minute keeps the two it admitted only.
    "all windows decide together and a refusal consumes none": (
        "2/second,3/minute",
        [
            Step(0, True, 2, 1, 1, 0),
            Step(0, True, 2, 0, 1, 0),
            Step(0, False, 2, 0, 1, 1),
            Step(1, True, 3, 0, 59, 0),
            Step(1, False, 3, 0, 59, 19),
            Step(1.5, False, 3, 0, 59, 19),
            Step(20, True, 3, 0, 60, 0),
        ],
    ),
    # On a tie in what is left, the longer window is reported (it takes longer to come back).
    "a tie reports the longer window": (
        "2/second,2/minute",
        [
            Step(0, True, 2, 1, 30, 0),
            Step(0, True, 2, 0, 60, 0),
            Step(0.5, False, 2, 0, 60, 30),
        ],
    ),
    # A limit that does not divide the period: the interval is rounded down, the burst is still exact.
    "an interval rounded down to a microsecond": (
        "7/minute",
        [
            *(Step(0, True, 7, 6 - n, reset, 0) for n, reset in enumerate([9, 18, 26, 35, 43, 52, 60])),
            Step(0, False, 7, 0, 60, 9),
        ],
    ),
}
