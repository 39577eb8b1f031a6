"""The payment adapter against the fake provider over real HTTP, and its circuit breaker on a real Redis
(and on the fakeredis the local run serves): shared by every client and process, recovering after its reset
timeout, and degrading to each container's own state when Redis is down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import fakeredis
import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from localdev.paths import ROOT
from localdev.payment_provider import LOCAL_API_KEY, FakePaymentProvider, ServedProvider, serve
from localdev.secrets_extension import SecretsExtension
from localdev.stack import free_port
from storefront import bootstrap
from storefront.adapters.payments.breaker import PREFIX, BreakerPolicy, SharedCircuitBreaker
from storefront.adapters.payments.http_provider import HttpPaymentProvider, Timeouts
from storefront.adapters.payments.retries import RetryPolicy
from storefront.application.ports import PaymentGateway
from storefront.domain.errors import ExternalError, ExternalTimeout, ExternalUnavailable
from storefront.domain.money import Money
from storefront.domain.payments import PaymentOutcome, RefundOutcome, charge_key, refund_key
from tests.breaker_rules import BREAKER_CASES, POLICY, Clock, play
from tests.integration.conftest import REDIS_URL

TENANT = UUID("00000000-0000-4000-8000-000000000001")
AMOUNT = Money(Decimal("12.50"), "EUR")
TIMEOUTS = Timeouts(connect_seconds=0.5, read_seconds=0.3)
RETRIES = RetryPolicy(
    max_attempts=3, backoff_base_seconds=0.02, backoff_max_seconds=0.1, total_seconds=3.0, attempt_seconds=0.8
)
# The breaker of these tests: opens after 2 failed calls, half-opens after 0.4 s.
BREAKER = BreakerPolicy(failure_threshold=2, reset_timeout_ms=400, probe_timeout_ms=4000)


@pytest.fixture(scope="module")
def served() -> Iterator[ServedProvider]:
    with serve(FakePaymentProvider(slow_seconds=1.0)) as provider:
        yield provider


@pytest.fixture
def breaker_name(redis_client: Redis) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex}"
    yield name
    redis_client.delete(PREFIX + name)


def gateway(
    url: str, client: Redis | None, name: str, *, policy: BreakerPolicy = BREAKER, key: str = LOCAL_API_KEY
) -> HttpPaymentProvider:
    breaker = SharedCircuitBreaker(name, policy, client)
    return HttpPaymentProvider(url, lambda: key, timeouts=TIMEOUTS, retries=RETRIES, breaker=breaker)


def charge(provider: PaymentGateway, token: str, order: UUID | None = None):
    order = order or uuid.uuid4()
    return provider.charge(TENANT, order, AMOUNT, token, charge_key(order))


@pytest.mark.parametrize(
    ("token", "outcome", "reason"),
    [
        ("tok_approve", PaymentOutcome.APPROVED, None),
        ("tok_decline", PaymentOutcome.DECLINED, "card_declined"),
        ("tok_anything_else", PaymentOutcome.DECLINED, "invalid_token"),
    ],
)
def test_the_provider_decides_by_the_payment_token(served, redis_client, breaker_name, token, outcome, reason):
    order = uuid.uuid4()
    result = charge(gateway(served.url, redis_client, breaker_name), token, order)
    assert (result.outcome, result.decline_reason) == (outcome, reason)
    assert result.charge_id.startswith("ch_")
    assert served.provider.made(charge_key(order)) == 1
    assert served.provider.requests(charge_key(order)) == 1


def test_a_provider_that_never_answers_in_time_is_retried_then_a_timeout_and_charged_once(
    served, redis_client, breaker_name
):
    order = uuid.uuid4()
    started = time.monotonic()
    with pytest.raises(ExternalTimeout):
        charge(gateway(served.url, redis_client, breaker_name), "tok_timeout", order)
    assert time.monotonic() - started < RETRIES.total_seconds
    assert served.provider.requests(charge_key(order)) == 3  # every attempt
    assert served.provider.made(charge_key(order)) == 1  # one charge, whatever the retries


def test_a_failing_provider_is_retried_then_an_external_error_and_nothing_is_charged(
    served, redis_client, breaker_name
):
    order = uuid.uuid4()
    with pytest.raises(ExternalError):
        charge(gateway(served.url, redis_client, breaker_name), "tok_error", order)
    assert served.provider.requests(charge_key(order)) == 3
    assert served.provider.made(charge_key(order)) == 0


def test_an_answer_lost_on_the_way_back_is_retried_into_the_same_charge(served, redis_client, breaker_name):
    """The provider charges, its answer does not arrive in time; the retry with the same key gets the same
    charge (replayed), and a later call (the consumer's next delivery) gets it again."""
    provider = gateway(served.url, redis_client, breaker_name)
    order = uuid.uuid4()
    served.provider.delay_next(1)
    first = charge(provider, "tok_approve", order)
    again = charge(provider, "tok_approve", order)
    assert first.approved
    assert again == first
    assert served.provider.requests(charge_key(order)) == 3
    assert served.provider.made(charge_key(order)) == 1
    ledger = served.provider.ledger()
    assert [c["id"] for c in ledger["charges"] if c["idempotency_key"] == charge_key(order)] == [first.charge_id]


def test_a_key_reused_for_another_charge_is_refused_without_retries(served, redis_client, breaker_name):
    provider = gateway(served.url, redis_client, breaker_name)
    order = uuid.uuid4()
    charge(provider, "tok_approve", order)
    with pytest.raises(ExternalError):
        provider.charge(TENANT, order, Money(Decimal("99.00"), "EUR"), "tok_approve", charge_key(order))
    assert served.provider.requests(charge_key(order)) == 2
    assert served.provider.made(charge_key(order)) == 1


def test_a_wrong_api_key_is_refused_at_once_and_does_not_open_the_breaker(served, redis_client, breaker_name):
    provider = gateway(served.url, redis_client, breaker_name, key="sk_wrong")
    for _ in range(BREAKER.failure_threshold + 1):
        with pytest.raises(ExternalError):
            charge(provider, "tok_approve")
    assert redis_client.exists(PREFIX + breaker_name) == 0  # closed, no failures counted


def test_an_unreachable_provider_is_unavailable(redis_client, breaker_name):
    provider = gateway(f"http://127.0.0.1:{free_port()}", redis_client, breaker_name)
    with pytest.raises(ExternalUnavailable):
        charge(provider, "tok_approve")


def test_refunds_give_back_an_approved_charge_once(served, redis_client, breaker_name):
    provider = gateway(served.url, redis_client, breaker_name)
    order = uuid.uuid4()
    paid = charge(provider, "tok_approve", order)
    refunded = provider.refund(TENANT, order, paid.charge_id, AMOUNT, refund_key(order))
    assert refunded.outcome is RefundOutcome.REFUNDED
    assert provider.refund(TENANT, order, paid.charge_id, AMOUNT, refund_key(order)) == refunded
    assert served.provider.made(refund_key(order)) == 1
    other = uuid.uuid4()
    declined_charge = charge(provider, "tok_decline", other)
    answers = [
        provider.refund(TENANT, other, declined_charge.charge_id, AMOUNT, refund_key(other)),
        provider.refund(TENANT, uuid.uuid4(), "ch_unknown", AMOUNT, f"refund:{uuid.uuid4()}"),
    ]
    assert [(a.outcome, a.decline_reason) for a in answers] == [
        (RefundOutcome.DECLINED, "charge_not_approved"),
        (RefundOutcome.DECLINED, "charge_not_found"),
    ]


# --- the circuit breaker on Redis ------------------------------------------------------------------------


@pytest.fixture(params=["redis", "fakeredis"])
def client(request: pytest.FixtureRequest, redis_client: Redis) -> Redis:
    """The machine's Redis, and the fakeredis that `make run`'s stand-in serves (same scripts, same answers)."""
    return redis_client if request.param == "redis" else fakeredis.FakeRedis()


@pytest.mark.parametrize("steps", BREAKER_CASES.values(), ids=BREAKER_CASES.keys())
def test_the_scripts_follow_the_rule_tables(client, steps):
    clock = Clock()
    name = f"table-{uuid.uuid4().hex}"
    assert play(SharedCircuitBreaker(name, POLICY, client, clock=clock), clock, steps) == steps
    client.delete(PREFIX + name)


def test_failures_through_one_client_open_the_breaker_for_another(served, breaker_name):
    """Two containers: each its own Redis connection and adapter; one's failures open the other's breaker."""
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    a = gateway(served.url, first, breaker_name)
    b = gateway(served.url, second, breaker_name)
    with pytest.raises(ExternalError):
        charge(a, "tok_error")
    with pytest.raises(ExternalError):
        charge(b, "tok_error")  # the second consecutive failure, counted across both
    order = uuid.uuid4()
    for provider in (a, b):
        with pytest.raises(ExternalUnavailable):
            charge(provider, "tok_approve", order)
    assert served.provider.requests(charge_key(order)) == 0  # failed fast: the provider never saw them


CHILD = """
import sys
from storefront.adapters.payments.breaker import BreakerPolicy, SharedCircuitBreaker
from redis import Redis
policy = BreakerPolicy(failure_threshold=2, reset_timeout_ms=60000, probe_timeout_ms=4000)
breaker = SharedCircuitBreaker(sys.argv[1], policy, Redis.from_url(sys.argv[2]))
breaker.acquire()
print(breaker.record(success=False))
"""


def test_another_process_sees_the_state_this_one_left(redis_client, breaker_name):
    policy = BreakerPolicy(failure_threshold=2, reset_timeout_ms=60_000, probe_timeout_ms=4000)
    here = SharedCircuitBreaker(breaker_name, policy, redis_client)
    here.acquire()
    assert here.record(success=False) == "closed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)])}
    env["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, breaker_name, REDIS_URL], capture_output=True, text=True, env=env, timeout=60
    )
    assert child.stdout.strip() == "open", child.stderr
    with pytest.raises(ExternalUnavailable) as refused:
        here.acquire()
    assert refused.value.retry_after is not None
    assert 55 <= refused.value.retry_after <= 60


def test_an_open_breaker_recovers_after_its_reset_timeout(served, redis_client, breaker_name):
    provider = gateway(served.url, redis_client, breaker_name)
    for _ in range(BREAKER.failure_threshold):
        with pytest.raises(ExternalError):
            charge(provider, "tok_error")
    with pytest.raises(ExternalUnavailable):
        charge(provider, "tok_approve")
    time.sleep(BREAKER.reset_timeout_ms / 1000 + 0.05)
    assert charge(provider, "tok_approve").approved  # the half-open trial, on Redis's own clock
    assert redis_client.exists(PREFIX + breaker_name) == 0  # closed again
    assert charge(provider, "tok_approve").approved


def test_while_a_trial_is_out_other_containers_still_fail_fast(redis_client, breaker_name):
    policy = BreakerPolicy(failure_threshold=1, reset_timeout_ms=100, probe_timeout_ms=60_000)
    first = SharedCircuitBreaker(breaker_name, policy, redis_client)
    second = SharedCircuitBreaker(breaker_name, policy, Redis.from_url(REDIS_URL))
    first.acquire()
    assert first.record(success=False) == "open"
    time.sleep(0.15)
    assert first.acquire() is True  # the trial
    with pytest.raises(ExternalUnavailable):
        second.acquire()
    assert first.record(success=True) == "closed"
    assert second.acquire() is False


def test_with_redis_down_payments_go_on_and_each_container_keeps_its_own_breaker(served, redis_server):
    """Redis killed: the first call pays one short Redis timeout, then the breaker runs on this container's
    state; approvals still go through and failures still open it."""
    client = Redis(
        port=redis_server.port, socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 1)
    )
    name = f"down-{uuid.uuid4().hex}"
    provider = gateway(served.url, client, name)
    assert charge(provider, "tok_approve").approved
    redis_server.kill()
    started = time.monotonic()
    assert charge(provider, "tok_approve").approved
    assert time.monotonic() - started < 2.0
    for _ in range(BREAKER.failure_threshold):
        with pytest.raises(ExternalError):
            charge(provider, "tok_error")
    with pytest.raises(ExternalUnavailable):
        charge(provider, "tok_approve")


# --- the settings the functions get -----------------------------------------------------------------------

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:storefront/payment-provider-AbCdEf"
SESSION = "session-token-of-this-invocation"


def test_the_built_gateway_reads_its_key_through_the_secrets_extension(served, monkeypatch, redis_client):
    redis_client.delete(PREFIX + bootstrap.PAYMENT_BREAKER)
    with SecretsExtension({SECRET_ARN: json.dumps({"api_key": LOCAL_API_KEY})}, token=SESSION) as extension:
        monkeypatch.setenv("PAYMENT_PROVIDER_URL", served.url)
        monkeypatch.setenv("PAYMENT_PROVIDER_SECRET_ARN", SECRET_ARN)
        monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION)
        monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", str(extension.port))
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        bootstrap.reset()
        payments = bootstrap.payment_gateway()
        assert extension.requests == []  # nothing read before the first call
        assert charge(payments, "tok_approve").approved
        assert charge(payments, "tok_decline").outcome is PaymentOutcome.DECLINED
        assert len(extension.requests) == 1  # read once per container
    redis_client.delete(PREFIX + bootstrap.PAYMENT_BREAKER)
