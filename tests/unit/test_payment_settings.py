"""PaymentSettings: the provider, its key, the time budget and the breaker, checked at start; the builder."""

from __future__ import annotations

import pytest

from storefront import bootstrap
from storefront.adapters.payments.http_provider import HttpPaymentProvider
from storefront.config import ConfigurationError, PaymentSettings, load

GOOD = {"PAYMENT_PROVIDER_URL": "https://api.provider.example/v2", "PAYMENT_PROVIDER_API_KEY": "sk_test"}


def test_defaults_fit_the_consumers_timeout(monkeypatch):
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    settings = load(PaymentSettings)
    worst = settings.payment_total_timeout_seconds
    assert worst < 30  # the payment consumer's Lambda timeout
    assert settings.payment_connect_timeout_seconds + settings.payment_read_timeout_seconds <= worst
    assert (settings.payment_max_attempts, settings.payment_breaker_failures) == (3, 5)


@pytest.mark.parametrize(
    ("variables", "mentions"),
    [
        ({"PAYMENT_PROVIDER_URL": None}, "PAYMENT_PROVIDER_URL"),
        ({"PAYMENT_PROVIDER_URL": "ftp://provider"}, "PAYMENT_PROVIDER_URL"),
        ({"PAYMENT_PROVIDER_URL": "https://"}, "PAYMENT_PROVIDER_URL"),
        ({"PAYMENT_PROVIDER_API_KEY": None}, "exactly one of PAYMENT_PROVIDER_API_KEY or PAYMENT_PROVIDER_SECRET_ARN"),
        ({"PAYMENT_PROVIDER_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:p"}, "exactly one"),
        ({"PAYMENT_TOTAL_TIMEOUT_SECONDS": "26"}, "PAYMENT_TOTAL_TIMEOUT_SECONDS"),
        ({"PAYMENT_READ_TIMEOUT_SECONDS": "19"}, "must not exceed PAYMENT_TOTAL_TIMEOUT_SECONDS"),
        ({"PAYMENT_READ_TIMEOUT_SECONDS": "0"}, "PAYMENT_READ_TIMEOUT_SECONDS"),
        ({"PAYMENT_MAX_ATTEMPTS": "0"}, "PAYMENT_MAX_ATTEMPTS"),
        ({"PAYMENT_BACKOFF_BASE_SECONDS": "3"}, "PAYMENT_BACKOFF_BASE_SECONDS"),
        ({"PAYMENT_BREAKER_FAILURES": "0"}, "PAYMENT_BREAKER_FAILURES"),
        ({"PAYMENT_BREAKER_RESET_SECONDS": "0"}, "PAYMENT_BREAKER_RESET_SECONDS"),
    ],
)
def test_bad_payment_settings_stop_the_start_with_a_clear_message(monkeypatch, variables, mentions):
    for name, value in {**GOOD, **variables}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        load(PaymentSettings)
    assert mentions in str(raised.value)
    assert "sk_test" not in str(raised.value)


def test_the_builder_makes_the_http_adapter_and_keeps_it(monkeypatch):
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    gateway = bootstrap.payment_gateway()
    assert isinstance(gateway, HttpPaymentProvider)
    assert bootstrap.payment_gateway() is gateway


def test_a_provided_gateway_replaces_the_built_one():
    provided = object()
    bootstrap.provide(payments=provided)
    assert bootstrap.payment_gateway() is provided
