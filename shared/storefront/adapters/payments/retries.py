"""Which failed attempts at the payment provider are tried again, how long to wait between them, and what a
caller is told when the last one failed.

Retried (the provider may answer the next time, and the Idempotency-Key makes a repeat harmless): a connect
or read timeout, a refused or broken connection, any 5xx, 429. Never retried: any other 4xx (the request
itself is wrong: bad key, bad body, an idempotency key reused for another body) and a 2xx the adapter cannot
read. A decline is not a failure at all: it is an answer.

Waits are exponential backoff with full jitter (uniform between 0 and ``min(max, base * 2 ** (n - 1))``
before retry n, tenacity's ``wait_random_exponential``), and no attempt starts that could end after the
total budget: elapsed + the coming wait + one whole attempt (connect + read timeouts) must fit in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from storefront.domain.errors import AppError, ExternalError, ExternalTimeout, ExternalUnavailable
from storefront.observability import logger

if TYPE_CHECKING:
    from tenacity import RetryCallState
    from tenacity.wait import wait_random_exponential

T = TypeVar("T")


class FailureKind(StrEnum):
    """How one attempt failed."""

    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    CONNECTION = "connection"  # refused, reset, closed mid-answer, TLS or protocol error
    SERVER_ERROR = "server_error"  # 5xx
    THROTTLED = "throttled"  # 429
    REJECTED = "rejected"  # any other 4xx (and 1xx/3xx): the request is wrong
    UNREADABLE = "unreadable"  # a 2xx whose body is not the API's JSON


RETRYABLE = frozenset(
    {
        FailureKind.CONNECT_TIMEOUT,
        FailureKind.READ_TIMEOUT,
        FailureKind.CONNECTION,
        FailureKind.SERVER_ERROR,
        FailureKind.THROTTLED,
    }
)
# Failures that say the provider is unhealthy (they count towards opening the breaker); a rejected request
# says nothing about the provider's health.
PROVIDER_FAULTS = RETRYABLE | {FailureKind.UNREADABLE}


class AttemptFailed(Exception):
    """One attempt at the provider failed; ``status`` is the HTTP status when there was an answer."""

    def __init__(self, kind: FailureKind, status: int | None = None, detail: str = "") -> None:
        super().__init__(f"{kind.value}{f' {status}' if status is not None else ''}{f': {detail}' if detail else ''}")
        self.kind = kind
        self.status = status

    @property
    def retryable(self) -> bool:
        """Whether another attempt may get an answer."""
        return self.kind in RETRYABLE

    @property
    def provider_fault(self) -> bool:
        """Whether it counts against the provider's health (its circuit breaker)."""
        return self.kind in PROVIDER_FAULTS


def classify_status(status: int) -> FailureKind | None:
    """None for a 2xx (an answer to read), else how the attempt failed."""
    if 200 <= status < 300:
        return None
    if status == 429:
        return FailureKind.THROTTLED
    if status >= 500:
        return FailureKind.SERVER_ERROR
    return FailureKind.REJECTED


def caller_error(failure: AttemptFailed) -> AppError:
    """What the caller is told when the last attempt failed (the message is safe for any log or client)."""
    if failure.kind in (FailureKind.CONNECT_TIMEOUT, FailureKind.READ_TIMEOUT):
        return ExternalTimeout("The payment provider did not answer in time")
    if failure.kind is FailureKind.CONNECTION:
        return ExternalUnavailable("The payment provider cannot be reached")
    return ExternalError("The payment provider failed")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, how long between them, and the time every attempt and wait of one call must fit in
    (``attempt_seconds`` is one attempt's worst case: its connect plus read timeouts)."""

    max_attempts: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    total_seconds: float
    attempt_seconds: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.attempt_seconds > self.total_seconds:
            raise ValueError("at least one attempt, and one attempt must fit in the total")

    def backoff_window(self, retry: int) -> float:
        """The most that may be waited before retry number ``retry`` (1 = the second attempt)."""
        return min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (retry - 1))


def backoff(policy: RetryPolicy) -> wait_random_exponential:
    """The wait before each retry: full jitter in ``policy.backoff_window(n)``."""
    from tenacity import wait_random_exponential

    return wait_random_exponential(multiplier=policy.backoff_base_seconds, max=policy.backoff_max_seconds)


def call_with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    operation: str,
) -> T:
    """``attempt()``'s answer, trying again on retryable AttemptFailed as ``policy`` allows; the last
    AttemptFailed is raised when none answered."""
    from tenacity import Retrying, retry_if_exception

    started = clock()

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        return clock() - started + state.upcoming_sleep + policy.attempt_seconds > policy.total_seconds

    def log_retry(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        logger.warning(
            "payment provider attempt failed; retrying",
            extra={
                "operation": operation,
                "attempt": state.attempt_number,
                "failure": str(failure),
                "wait_seconds": round(state.upcoming_sleep, 3),
            },
        )

    retrying = Retrying(
        stop=stop,
        wait=backoff(policy),
        retry=retry_if_exception(lambda error: isinstance(error, AttemptFailed) and error.retryable),
        sleep=sleep,
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(attempt)
