"""The fake payment provider's answers, called in process (its HTTP serving is in the integration tests)."""

from __future__ import annotations

import json
import time

import pytest

from localdev.gateway import payment_provider_url
from localdev.payment_provider import LOCAL_API_KEY, FakePaymentProvider, encode

AUTH = {"authorization": f"Bearer {LOCAL_API_KEY}"}


def post(fake: FakePaymentProvider, path: str, body: object, key: str | None = "k-1", headers=None):
    sent = {**AUTH, **({"idempotency-key": key} if key else {}), **(headers or {})}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return fake.answer("POST", path, sent, raw)


def charge(fake, token="tok_approve", key="charge:1", amount="10.00", currency="EUR"):  # noqa: S107 - a payment token
    return post(fake, "/v1/charges", {"amount": amount, "currency": currency, "payment_token": token}, key)


@pytest.mark.parametrize(
    ("token", "status", "decision", "reason"),
    [
        ("tok_approve", 201, "approved", None),
        ("tok_decline", 201, "declined", "card_declined"),
        ("tok_whatever", 201, "declined", "invalid_token"),
        ("tok_error", 500, None, None),
    ],
)
def test_the_token_decides(token, status, decision, reason):
    fake = FakePaymentProvider()
    answer = charge(fake, token)
    assert answer[0] == status
    if decision is None:
        assert answer[2] == {"error": {"type": "api_error"}}
        assert fake.made("charge:1") == 0
    else:
        assert (answer[2]["status"], answer[2]["decline_reason"]) == (decision, reason)
        assert fake.made("charge:1") == 1


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "key", "status", "error"),
    [
        ("POST", "/v1/charges", {}, {"amount": "1", "currency": "EUR", "payment_token": "t"}, "k", 401, None),
        ("POST", "/v1/charges", AUTH, {"amount": "1", "currency": "EUR", "payment_token": "t"}, None, 400, None),
        ("POST", "/v1/charges", AUTH, b"{not json", "k", 400, "invalid_json"),
        ("POST", "/v1/charges", AUTH, [1], "k", 400, "invalid_json"),
        ("POST", "/v1/charges", AUTH, {"amount": "0", "currency": "EUR", "payment_token": "t"}, "k", 400, None),
        ("POST", "/v1/charges", AUTH, {"amount": "x", "currency": "EUR", "payment_token": "t"}, "k", 400, None),
        ("POST", "/v1/charges", AUTH, {"amount": "1", "currency": "eur", "payment_token": "t"}, "k", 400, None),
        ("POST", "/v1/charges", AUTH, {"amount": "1", "currency": "EUR"}, "k", 400, "invalid_request"),
        ("POST", "/v1/refunds", AUTH, {"amount": "1", "currency": "EUR"}, "k", 400, "invalid_request"),
        ("GET", "/v1/charges", AUTH, b"", "k", 405, "method_not_allowed"),
        ("POST", "/v1/ledger", AUTH, b"", "k", 405, "method_not_allowed"),
        ("POST", "/v2/charges", AUTH, b"", "k", 404, "not_found"),
    ],
)
def test_what_a_provider_refuses(method, path, headers, body, key, status, error):
    fake = FakePaymentProvider()
    sent = {**headers, **({"idempotency-key": key} if key else {})}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = fake.answer(method, path, sent, raw)
    assert answer[0] == status
    if error:
        assert answer[2]["error"]["type"] == error


def test_a_key_is_replayed_with_its_first_answer_and_refused_for_another_body():
    fake = FakePaymentProvider()
    first, again = charge(fake), charge(fake)
    assert (first[0], again[0], again[1]) == (201, 200, {"Idempotent-Replayed": "true"})
    assert again[2] == first[2]
    assert charge(fake, amount="11.00")[0] == 422
    assert (fake.made("charge:1"), fake.requests("charge:1")) == (1, 3)


@pytest.mark.parametrize(
    ("charge_token", "refund", "outcome", "reason"),
    [
        ("tok_approve", {"amount": "10.00", "currency": "EUR"}, "refunded", None),
        ("tok_approve", {"amount": "10.01", "currency": "EUR"}, "declined", "amount_exceeds_charge"),
        ("tok_approve", {"amount": "1.00", "currency": "USD"}, "declined", "currency_mismatch"),
        ("tok_decline", {"amount": "1.00", "currency": "EUR"}, "declined", "charge_not_approved"),
        (None, {"amount": "1.00", "currency": "EUR"}, "declined", "charge_not_found"),
    ],
)
def test_refund_decisions(charge_token, refund, outcome, reason):
    fake = FakePaymentProvider()
    charge_id = charge(fake, charge_token)[2]["id"] if charge_token else "ch_missing"
    answer = post(fake, "/v1/refunds", {"charge_id": charge_id, **refund}, "refund:1")
    assert (answer[0], answer[2]["status"], answer[2]["decline_reason"]) == (201, outcome, reason)


@pytest.mark.parametrize(
    ("charge_token", "outcome", "reason"),
    [
        ("tok_timeout", "refunded", None),  # charged, its answer late: the refund by key finds it
        ("tok_decline", "declined", "charge_not_approved"),
        (None, "declined", "charge_not_found"),  # no charge under that key: nothing was taken
    ],
)
def test_a_refund_by_the_charge_key_is_decided_and_answered_at_once(charge_token, outcome, reason):
    fake = FakePaymentProvider(slow_seconds=0.0)
    if charge_token:
        charge(fake, charge_token)
    fake.slow_seconds = 30.0  # a tok_timeout charge would be answered late now; its refund must not be
    body = {"charge_idempotency_key": "charge:1", "amount": "10.00", "currency": "EUR"}
    started = time.monotonic()
    answer = post(fake, "/v1/refunds", body, "refund:1")
    assert time.monotonic() - started < 1.0
    assert (answer[0], answer[2]["status"], answer[2]["decline_reason"]) == (201, outcome, reason)
    both = {**body, "charge_id": "ch_1"}
    assert post(fake, "/v1/refunds", both, "refund:2")[0] == 400  # one way of naming the charge, not two


def test_a_refund_is_made_once_per_key_and_the_charge_cannot_be_refunded_twice_over():
    fake = FakePaymentProvider()
    charge_id = charge(fake)[2]["id"]
    body = {"charge_id": charge_id, "amount": "6.00", "currency": "EUR"}
    first, again = post(fake, "/v1/refunds", body, "refund:1"), post(fake, "/v1/refunds", body, "refund:1")
    assert (first[0], again[0], again[2]) == (201, 200, first[2])
    assert post(fake, "/v1/refunds", {**body, "amount": "7.00"}, "refund:1")[0] == 422
    second = post(fake, "/v1/refunds", body, "refund:2")
    assert second[2]["decline_reason"] == "amount_exceeds_charge"  # 6 + 6 > 10
    ledger = fake.ledger()
    assert (len(ledger["charges"]), len(ledger["refunds"])) == (1, 2)
    assert ledger["made_per_key"] == {"charge:1": 1, "refund:1": 1, "refund:2": 1}


def test_providers_on_one_ledger_file_share_their_charges_as_gateways_on_one_database_do(tmp_path):
    """Outside pass: two `make run` on one database each had a ledger of their own; a refund sent to the other
    one's provider was declined charge_not_found and the order stuck at refund_requested."""
    ledger = tmp_path / "payments-db.json"
    first, second = FakePaymentProvider(ledger_file=ledger), FakePaymentProvider(ledger_file=ledger)
    made = charge(first, key="charge:shared")
    assert charge(second, key="charge:shared")[0:3:2] == (200, made[2]), "the other gateway replays, never charges"
    body = {"charge_id": made[2]["id"], "amount": "10.00", "currency": "EUR"}
    refunded = post(second, "/v1/refunds", body, "refund:shared")
    assert (refunded[0], refunded[2]["status"]) == (201, "refunded")
    assert first.ledger()["made_per_key"] == {"charge:shared": 1, "refund:shared": 1}
    assert first.requests("charge:shared") == 2
    restarted = FakePaymentProvider(ledger_file=ledger)  # a gateway started later on the same database
    assert [c["refunded"] for c in restarted.ledger()["charges"]] == ["10.00"]
    elsewhere = FakePaymentProvider(ledger_file=tmp_path / "payments-other.json")  # another database
    assert post(elsewhere, "/v1/refunds", body, "refund:shared")[2]["decline_reason"] == "charge_not_found"


def test_answers_encode_as_json_with_their_headers():
    status, headers, body = encode((200, {"Idempotent-Replayed": "true"}, {"id": "ch_1"}))
    assert (status, json.loads(body)) == (200, {"id": "ch_1"})
    assert headers == [("Content-Type", "application/json"), ("Idempotent-Replayed", "true")]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:3000/_local/payment-provider"),
        ("0.0.0.0", "http://127.0.0.1:3000/_local/payment-provider"),  # noqa: S104 - a host name, not a bind
        ("localhost", "http://localhost:3000/_local/payment-provider"),
        ("::1", "http://[::1]:3000/_local/payment-provider"),
    ],
)
def test_the_functions_reach_the_fake_on_the_gateways_own_port(host, url):
    assert payment_provider_url(host, 3000) == url
