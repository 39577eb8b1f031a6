"""The fake payment provider the local gateway serves under /_local/payment-provider (README "Payments"),
in both modes: the adapter the functions use charges through it, idempotently, and its ledger is readable."""

from __future__ import annotations

import http.client
import json
import uuid
from decimal import Decimal
from typing import Any

from localdev.gateway import payment_provider_url
from localdev.payment_provider import LOCAL_API_KEY
from storefront.adapters.payments.breaker import BreakerPolicy, SharedCircuitBreaker
from storefront.adapters.payments.http_provider import HttpPaymentProvider, Timeouts
from storefront.adapters.payments.retries import RetryPolicy
from storefront.domain.money import Money
from storefront.domain.payments import PaymentOutcome, charge_key
from tests.e2e.conftest import Client

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")


def provider_call(client: Client, method: str, path: str, body: Any = None, key: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    headers = {"Authorization": f"Bearer {LOCAL_API_KEY}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    payload = None if body is None else json.dumps(body)
    connection.request(method, "/_local/payment-provider" + path, body=payload, headers=headers)
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), json.loads(response.read())
    connection.close()
    return answer


def test_the_adapter_charges_through_the_gateways_fake_provider(gateway):
    _, client = gateway
    breaker = SharedCircuitBreaker("e2e-payments", BreakerPolicy(5, 1000, 5000), None)
    payments = HttpPaymentProvider(
        payment_provider_url("127.0.0.1", client.port),
        lambda: LOCAL_API_KEY,
        timeouts=Timeouts(1.0, 2.0),
        retries=RetryPolicy(3, 0.05, 0.2, 8.0, 3.0),
        breaker=breaker,
    )
    order = uuid.uuid4()
    approved = payments.charge(TENANT, order, Money(Decimal("12.50"), "EUR"), "tok_approve", charge_key(order))
    declined_order = uuid.uuid4()
    declined = payments.charge(
        TENANT, declined_order, Money(Decimal("1.00"), "EUR"), "tok_decline", charge_key(declined_order)
    )
    assert (approved.outcome, declined.outcome) == (PaymentOutcome.APPROVED, PaymentOutcome.DECLINED)
    status, _, ledger = provider_call(client, "GET", "/v1/ledger")
    assert status == 200
    assert ledger["made_per_key"][charge_key(order)] == 1
    assert [c["status"] for c in ledger["charges"] if c["idempotency_key"] == charge_key(order)] == ["approved"]


def test_a_repeated_key_is_replayed_not_charged_again(gateway):
    _, client = gateway
    key = f"charge:{uuid.uuid4()}"
    body = {"amount": "9.75", "currency": "EUR", "payment_token": "tok_approve", "reference": "e2e"}
    first = provider_call(client, "POST", "/v1/charges", body, key)
    again = provider_call(client, "POST", "/v1/charges", body, key)
    assert (first[0], again[0]) == (201, 200)
    assert again[1].get("Idempotent-Replayed") == "true"
    assert again[2]["id"] == first[2]["id"]
    ledger = provider_call(client, "GET", "/v1/ledger")[2]
    assert (ledger["made_per_key"][key], ledger["requests_per_key"][key]) == (1, 2)


def test_the_fake_refuses_what_a_provider_refuses(gateway):
    _, client = gateway
    body = {"amount": "9.75", "currency": "EUR", "payment_token": "tok_approve"}
    assert provider_call(client, "POST", "/v1/charges", body)[0] == 400  # no Idempotency-Key
    assert provider_call(client, "POST", "/v1/charges", {"amount": "-1"}, "charge:x")[0] == 400
    assert provider_call(client, "GET", "/v1/charges")[0] == 405
    assert provider_call(client, "POST", "/v1/nothing", body, "k")[0] == 404
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    connection.request("POST", "/_local/payment-provider/v1/charges", body=json.dumps(body))
    assert connection.getresponse().status == 401  # no API key
    connection.close()
