"""The payment adapter's retry rules, backoff and time budget, over a scripted transport and a fake clock."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from uuid import UUID

import pytest
from tenacity import RetryCallState, Retrying

from storefront.adapters.payments.breaker import SharedCircuitBreaker
from storefront.adapters.payments.http_provider import HttpPaymentProvider, Timeouts
from storefront.adapters.payments.retries import (
    PROVIDER_FAULTS,
    RETRYABLE,
    AttemptFailed,
    FailureKind,
    RetryPolicy,
    backoff,
    caller_error,
    classify_status,
)
from storefront.domain.errors import ExternalError, ExternalTimeout, ExternalUnavailable
from storefront.domain.money import Money
from storefront.domain.payments import PaymentOutcome, RefundOutcome, charge_key, refund_key
from tests.breaker_rules import POLICY, Clock

TENANT = UUID("00000000-0000-4000-8000-000000000001")
ORDER = UUID("5a1d2c4e-0001-4000-8000-0000000000aa")
AMOUNT = Money(Decimal("12.50"), "EUR")
TIMEOUTS = Timeouts(connect_seconds=1.0, read_seconds=2.0)
POLICY_3 = RetryPolicy(
    max_attempts=3, backoff_base_seconds=0.25, backoff_max_seconds=2.0, total_seconds=20.0, attempt_seconds=3.0
)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, None),
        (201, None),
        (204, None),
        (429, FailureKind.THROTTLED),
        (500, FailureKind.SERVER_ERROR),
        (502, FailureKind.SERVER_ERROR),
        (503, FailureKind.SERVER_ERROR),
        (504, FailureKind.SERVER_ERROR),
        (400, FailureKind.REJECTED),
        (401, FailureKind.REJECTED),
        (402, FailureKind.REJECTED),
        (404, FailureKind.REJECTED),
        (409, FailureKind.REJECTED),
        (422, FailureKind.REJECTED),
        (301, FailureKind.REJECTED),
    ],
)
def test_statuses_are_classified(status, kind):
    assert classify_status(status) is kind


@pytest.mark.parametrize(
    ("kind", "retried", "counts_against_provider", "error"),
    [
        (FailureKind.CONNECT_TIMEOUT, True, True, ExternalTimeout),
        (FailureKind.READ_TIMEOUT, True, True, ExternalTimeout),
        (FailureKind.CONNECTION, True, True, ExternalUnavailable),
        (FailureKind.SERVER_ERROR, True, True, ExternalError),
        (FailureKind.THROTTLED, True, True, ExternalError),
        (FailureKind.REJECTED, False, False, ExternalError),
        (FailureKind.UNREADABLE, False, True, ExternalError),
    ],
)
def test_which_failures_are_retried_and_what_the_caller_is_told(kind, retried, counts_against_provider, error):
    failure = AttemptFailed(kind)
    assert (failure.retryable, failure.provider_fault) == (retried, counts_against_provider)
    assert (kind in RETRYABLE, kind in PROVIDER_FAULTS) == (retried, counts_against_provider)
    told = caller_error(failure)
    assert type(told) is error
    assert "provider" in told.message
    assert str(kind) not in told.message


@pytest.mark.parametrize(
    ("retry", "window"),
    [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 2.0), (12, 2.0)],
)
def test_the_backoff_window_doubles_up_to_its_cap_and_the_jitter_stays_inside_it(retry, window):
    assert POLICY_3.backoff_window(retry) == window
    strategy = backoff(POLICY_3)
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = retry  # the wait after attempt n comes before retry n
    waits = [strategy(state) for _ in range(2000)]
    assert all(0 <= wait <= window for wait in waits)
    assert max(waits) > window * 0.9
    assert min(waits) < window * 0.1


class FakeTime:
    """The adapter's clock and sleep: sleeping and every attempt move it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ScriptedTransport:
    """Answers each attempt with the next item: an HTTP (status, body) or a FailureKind (raised); each
    attempt takes ``seconds`` of the fake clock (a timeout takes its whole timeout)."""

    def __init__(self, time: FakeTime, script: list[object], seconds: float = 0.05) -> None:
        self.time = time
        self.script = list(script)
        self.seconds = seconds
        self.sent: list[tuple[str, dict[str, str], dict[str, object]]] = []

    def __call__(self, url, headers, body, timeouts):
        self.sent.append((url, dict(headers), json.loads(body)))
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, FailureKind):
            if item is FailureKind.READ_TIMEOUT:
                self.time.now += timeouts.connect_seconds * 0.01 + timeouts.read_seconds
            elif item is FailureKind.CONNECT_TIMEOUT:
                self.time.now += timeouts.connect_seconds
            raise AttemptFailed(item)
        self.time.now += self.seconds
        assert isinstance(item, tuple)
        status: int = item[0]
        body_out: object = item[1]
        return status, body_out if isinstance(body_out, bytes) else json.dumps(body_out).encode()


def approved(charge_id: str = "ch_1") -> tuple[int, dict[str, object]]:
    return 201, {"id": charge_id, "status": "approved", "decline_reason": None}


DECLINED = (201, {"id": "ch_2", "status": "declined", "decline_reason": "card_declined"})
ERROR_500 = (500, {"error": {"type": "api_error"}})


def adapter(script, *, policy=POLICY_3, threshold=None):
    time = FakeTime()
    transport = ScriptedTransport(time, script)
    clock = Clock()
    breaker_policy = POLICY if threshold is None else type(POLICY)(threshold, 1000, 500)
    breaker = SharedCircuitBreaker("unit-payments", breaker_policy, None, clock=clock)
    keys: list[int] = []

    def api_key() -> str:
        keys.append(1)
        return "sk_test"

    provider = HttpPaymentProvider(
        "https://provider.test/api/",
        api_key,
        timeouts=TIMEOUTS,
        retries=policy,
        breaker=breaker,
        transport=transport,
        clock=time.clock,
        sleep=time.sleep,
    )
    return provider, transport, breaker, keys


def charge(provider):
    return provider.charge(TENANT, ORDER, AMOUNT, "tok_approve", charge_key(ORDER))


@pytest.mark.parametrize(
    ("script", "answer", "attempts", "breaker_after"),
    [
        ([approved()], PaymentOutcome.APPROVED, 1, "closed"),
        ([DECLINED], PaymentOutcome.DECLINED, 1, "closed"),
        ([(503, b""), (502, b"<html>"), approved()], PaymentOutcome.APPROVED, 3, "closed"),
        ([(429, {}), approved()], PaymentOutcome.APPROVED, 2, "closed"),
        ([FailureKind.READ_TIMEOUT, approved()], PaymentOutcome.APPROVED, 2, "closed"),
        ([FailureKind.CONNECTION, FailureKind.CONNECT_TIMEOUT, DECLINED], PaymentOutcome.DECLINED, 3, "closed"),
        ([FailureKind.READ_TIMEOUT], ExternalTimeout, 3, "failures 1"),
        ([FailureKind.CONNECT_TIMEOUT], ExternalTimeout, 3, "failures 1"),
        ([ERROR_500], ExternalError, 3, "failures 1"),
        ([(429, {})], ExternalError, 3, "failures 1"),
        ([FailureKind.CONNECTION], ExternalUnavailable, 3, "failures 1"),
        ([(400, {"error": {"type": "invalid_request"}})], ExternalError, 1, "closed"),
        ([(401, {"error": {"type": "authentication_error"}})], ExternalError, 1, "closed"),
        ([(422, {"error": {"type": "idempotency_key_reused"}})], ExternalError, 1, "closed"),
        ([(404, b"")], ExternalError, 1, "closed"),
        ([(200, b"not json")], ExternalError, 1, "failures 1"),
        ([(200, [1, 2])], ExternalError, 1, "failures 1"),
        ([(201, {"id": "ch_3", "status": "maybe"})], ExternalError, 1, "closed"),
        ([(201, {"id": "", "status": "approved"})], ExternalError, 1, "closed"),
        ([(201, {"id": "ch_4", "status": "declined"})], ExternalError, 1, "closed"),
        ([(201, {"id": "ch_5", "status": "declined", "decline_reason": 7})], ExternalError, 1, "closed"),
    ],
)
def test_a_charge_retries_only_what_may_answer_next_time(script, answer, attempts, breaker_after):
    provider, transport, breaker, _ = adapter(script)
    if isinstance(answer, PaymentOutcome):
        assert charge(provider).outcome is answer
    else:
        with pytest.raises(answer):
            charge(provider)
    assert len(transport.sent) == attempts
    local = breaker._local
    assert (local.state if local.failures == 0 else f"failures {local.failures}") == breaker_after


def test_every_attempt_sends_the_same_idempotency_key_and_body_and_the_key_is_read_once():
    provider, transport, _, keys = adapter([ERROR_500, ERROR_500, approved()])
    assert charge(provider).charge_id == "ch_1"
    charge(provider)
    assert len(keys) == 1
    urls = {url for url, _, _ in transport.sent}
    assert urls == {"https://provider.test/api/v1/charges"}
    assert {headers["Idempotency-Key"] for _, headers, _ in transport.sent} == {charge_key(ORDER)}
    assert {headers["Authorization"] for _, headers, _ in transport.sent} == {"Bearer sk_test"}
    bodies = [body for _, _, body in transport.sent]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0] == {
        "amount": "12.50",
        "currency": "EUR",
        "payment_token": "tok_approve",
        "reference": str(ORDER),
        "metadata": {"tenant_id": str(TENANT), "order_id": str(ORDER)},
    }


def test_a_refund_names_the_charge_and_reads_the_providers_decision():
    refunded = (201, {"id": "re_1", "status": "refunded", "decline_reason": None})
    provider, transport, _, _ = adapter([(503, b""), refunded])
    result = provider.refund(TENANT, ORDER, "ch_1", AMOUNT, refund_key(ORDER))
    assert (result.outcome, result.refund_id, len(transport.sent)) == (RefundOutcome.REFUNDED, "re_1", 2)
    url, headers, body = transport.sent[0]
    assert (url, headers["Idempotency-Key"], body["charge_id"]) == (
        "https://provider.test/api/v1/refunds",
        refund_key(ORDER),
        "ch_1",
    )
    provider, _, _, _ = adapter([(201, {"id": "re_2", "status": "unknown"})])
    with pytest.raises(ExternalError):
        provider.refund(TENANT, ORDER, "ch_1", AMOUNT, refund_key(ORDER))


def test_a_refund_of_an_unanswered_charge_names_the_charge_by_its_key_not_an_id():
    declined = (201, {"id": "re_3", "status": "declined", "decline_reason": "charge_not_found"})
    provider, transport, _, _ = adapter([declined])
    result = provider.refund_charge(TENANT, ORDER, charge_key(ORDER), AMOUNT, refund_key(ORDER))
    assert (result.outcome, result.decline_reason) == (RefundOutcome.DECLINED, "charge_not_found")
    [(_, headers, body)] = transport.sent
    assert (headers["Idempotency-Key"], body["charge_idempotency_key"], "charge_id" in body) == (
        refund_key(ORDER),
        charge_key(ORDER),
        False,
    )


def test_waits_between_attempts_are_full_jitter_inside_their_windows():
    provider, transport, _, _ = adapter([ERROR_500], threshold=1000)
    time = transport.time
    for _ in range(50):
        with pytest.raises(ExternalError):
            charge(provider)
    pairs = list(zip(time.slept[0::2], time.slept[1::2], strict=True))
    assert all(0 <= first <= 0.25 and 0 <= second <= 0.5 for first, second in pairs)


@pytest.mark.parametrize("seed", range(20))
def test_no_call_outlasts_its_total_budget_whatever_the_jitter(seed):
    """Ten attempts allowed, each a whole read timeout: the budget, not the count, stops them."""
    random.seed(seed)
    policy = RetryPolicy(
        max_attempts=10, backoff_base_seconds=0.5, backoff_max_seconds=4.0, total_seconds=12.0, attempt_seconds=3.0
    )
    provider, transport, _, _ = adapter([FailureKind.READ_TIMEOUT], policy=policy)
    time = transport.time
    started = time.now
    with pytest.raises(ExternalTimeout):
        charge(provider)
    assert time.now - started <= policy.total_seconds
    assert 2 <= len(transport.sent) <= 4


def test_an_open_breaker_fails_fast_without_calling_the_provider():
    provider, transport, _, _ = adapter([ERROR_500], threshold=2)
    for _ in range(2):
        with pytest.raises(ExternalError):
            charge(provider)
    sent = len(transport.sent)
    with pytest.raises(ExternalUnavailable) as refused:
        charge(provider)
    assert len(transport.sent) == sent
    assert refused.value.retry_after == 1


def test_a_bad_idempotency_key_is_a_programming_error_before_any_call():
    provider, transport, _, _ = adapter([approved()])
    with pytest.raises(ValueError, match="idempotency key"):
        provider.charge(TENANT, ORDER, AMOUNT, "tok_approve", "not a key")
    assert transport.sent == []


@pytest.mark.parametrize(
    ("attempts", "attempt_seconds", "total"),
    [(0, 1.0, 10.0), (3, 11.0, 10.0)],
)
def test_a_retry_policy_needs_one_attempt_that_fits(attempts, attempt_seconds, total):
    with pytest.raises(ValueError, match="one attempt"):
        RetryPolicy(attempts, 0.1, 1.0, total, attempt_seconds)
