"""Payment results and idempotency keys: the domain's rules as tables."""

from __future__ import annotations

from uuid import UUID

import pytest

from storefront.domain.payments import (
    PaymentOutcome,
    PaymentResult,
    RefundOutcome,
    RefundResult,
    charge_key,
    refund_key,
    valid_idempotency_key,
)

ORDER = UUID("5a1d2c4e-0001-4000-8000-0000000000aa")


@pytest.mark.parametrize(
    ("outcome", "provider_id", "reason", "problem"),
    [
        (PaymentOutcome.APPROVED, "ch_1", None, None),
        (PaymentOutcome.DECLINED, "ch_1", "card_declined", None),
        (PaymentOutcome.DECLINED, "ch_1", None, "needs its reason"),
        (PaymentOutcome.DECLINED, "ch_1", "", "needs its reason"),
        (PaymentOutcome.APPROVED, "ch_1", "card_declined", "only a decline"),
        (PaymentOutcome.APPROVED, "", None, "provider's id"),
        (PaymentOutcome.DECLINED, "ch_1", "x" * 101, "at most 100"),
    ],
)
def test_a_payment_result_is_a_decision_with_the_providers_id(outcome, provider_id, reason, problem):
    if problem is None:
        result = PaymentResult(outcome, provider_id, reason)
        assert result.approved is (outcome is PaymentOutcome.APPROVED)
    else:
        with pytest.raises(ValueError, match=problem):
            PaymentResult(outcome, provider_id, reason)


@pytest.mark.parametrize(
    ("outcome", "reason", "refunded"),
    [(RefundOutcome.REFUNDED, None, True), (RefundOutcome.DECLINED, "charge_not_found", False)],
)
def test_a_refund_result_says_whether_the_money_went_back(outcome, reason, refunded):
    assert RefundResult(outcome, "re_1", reason).refunded is refunded


def test_an_order_has_one_charge_key_and_one_refund_key():
    assert charge_key(ORDER) == f"charge:{ORDER}"
    assert refund_key(ORDER) == f"refund:{ORDER}"
    assert charge_key(ORDER) != refund_key(ORDER)
    assert valid_idempotency_key(charge_key(ORDER))
    assert valid_idempotency_key(refund_key(ORDER))


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("charge:abc", True),
        ("a", True),
        ("A-z_0.9:x", True),
        ("x" * 255, True),
        ("", False),
        ("x" * 256, False),
        ("has space", False),
        ("new\nline", False),
        ("é", False),
    ],
)
def test_idempotency_keys_are_header_safe(key, valid):
    assert valid_idempotency_key(key) is valid
