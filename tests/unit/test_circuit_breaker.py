"""The circuit breaker's rules with a fake clock, on this container's own state (no Redis)."""

from __future__ import annotations

import pytest

from storefront.adapters.payments.breaker import BreakerPolicy, BreakerState, SharedCircuitBreaker
from storefront.domain.errors import ExternalUnavailable
from tests.breaker_rules import BREAKER_CASES, POLICY, Clock, play


@pytest.mark.parametrize("steps", BREAKER_CASES.values(), ids=BREAKER_CASES.keys())
def test_the_breaker_follows_the_rule_tables(steps):
    clock = Clock()
    assert play(SharedCircuitBreaker("unit", POLICY, None, clock=clock), clock, steps) == steps


def test_an_open_breaker_refuses_with_external_unavailable_and_a_retry_after():
    clock = Clock()
    breaker = SharedCircuitBreaker("unit", POLICY, None, clock=clock)
    for _ in range(POLICY.failure_threshold):
        breaker.record(success=False)
    clock.now += 250
    with pytest.raises(ExternalUnavailable) as refused:
        breaker.acquire()
    assert (refused.value.code.value, refused.value.retry_after) == ("EXT_002", 1)
    clock.now += 750
    assert breaker.acquire() is True  # the half-open trial


def test_a_closed_breaker_forgets_nothing_but_counts_only_consecutive_failures():
    state = BreakerState()
    for at in range(2):
        assert state.record(at, success=False, policy=POLICY) == "closed"
    assert state.failures == 2
    assert state.record(3, success=True, policy=POLICY) == "closed"
    assert state.failures == 0


@pytest.mark.parametrize(
    ("threshold", "reset", "probe"),
    [(0, 1000, 1000), (1, 0, 1000), (1, 1000, 0), (-1, 1, 1)],
)
def test_a_policy_needs_a_threshold_and_positive_timeouts(threshold, reset, probe):
    with pytest.raises(ValueError, match="threshold"):
        BreakerPolicy(threshold, reset, probe)


def test_the_shared_state_outlives_the_open_period_and_a_trial():
    assert POLICY.ttl_ms > POLICY.reset_timeout_ms + POLICY.probe_timeout_ms


def test_the_breaker_emits_the_metrics_its_alarm_watches():
    """CircuitBreakerOpened when it opens, CircuitBreakerOpen on each call it refuses (template.yaml's alarm)."""
    from storefront.observability import metrics

    metrics.clear_metrics()
    clock = Clock()
    breaker = SharedCircuitBreaker("unit", POLICY, None, clock=clock)
    for _ in range(POLICY.failure_threshold - 1):
        breaker.record(success=False)
    assert "CircuitBreakerOpened" not in metrics.metric_set
    breaker.record(success=False)
    assert metrics.metric_set["CircuitBreakerOpened"]["Value"] == [1.0]
    for _ in range(2):
        with pytest.raises(ExternalUnavailable):
            breaker.acquire()
    assert metrics.metric_set["CircuitBreakerOpen"]["Value"] == [1.0, 1.0]
    metrics.clear_metrics()
