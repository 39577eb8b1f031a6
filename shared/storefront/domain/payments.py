"""Payments: what a charge or a refund came to, as the provider decided it.

A result is always a decision, approved or declined (with the provider's reason). An unknown outcome is never
a result: a provider that timed out, failed or cannot be reached raises ExternalTimeout, ExternalError or
ExternalUnavailable (domain/errors.py) and the caller tries again later with the SAME idempotency key, so a
charge that did happen while its answer was lost is answered again instead of being made twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from storefront.domain.money import Money

MAX_IDEMPOTENCY_KEY = 255  # what the provider API takes in its Idempotency-Key header
MAX_REASON = 100
_KEY = re.compile(r"^[A-Za-z0-9:_.\-]{1,255}$")


class PaymentOutcome(StrEnum):
    """What the provider decided about a charge."""

    APPROVED = "approved"
    DECLINED = "declined"


class RefundOutcome(StrEnum):
    """What the provider decided about a refund."""

    REFUNDED = "refunded"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """A charge the provider approved or declined; ``charge_id`` is the provider's id of it (the same for
    every retry under one idempotency key), ``decline_reason`` says why it was declined (None when approved)."""

    outcome: PaymentOutcome
    charge_id: str
    decline_reason: str | None = None

    def __post_init__(self) -> None:
        _check_decision(self.outcome is PaymentOutcome.DECLINED, self.charge_id, self.decline_reason)

    @property
    def approved(self) -> bool:
        """Whether the money was taken."""
        return self.outcome is PaymentOutcome.APPROVED


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund the provider made or declined; ``refund_id`` is the provider's id of it."""

    outcome: RefundOutcome
    refund_id: str
    decline_reason: str | None = None

    def __post_init__(self) -> None:
        _check_decision(self.outcome is RefundOutcome.DECLINED, self.refund_id, self.decline_reason)

    @property
    def refunded(self) -> bool:
        """Whether the money was given back."""
        return self.outcome is RefundOutcome.REFUNDED


def _check_decision(declined: bool, provider_id: str, reason: str | None) -> None:
    if not provider_id:
        raise ValueError("a payment decision needs the provider's id")
    if declined and not reason:
        raise ValueError("a decline needs its reason")
    if not declined and reason is not None:
        raise ValueError("only a decline has a reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise ValueError(f"a decline reason has at most {MAX_REASON} characters")


def charge_key(order_id: UUID) -> str:
    """The idempotency key of an order's charge: one per order, so every retry of it is the same charge."""
    return f"charge:{order_id}"


def refund_key(order_id: UUID) -> str:
    """The idempotency key of an order's refund: one per order (an order is refunded whole, once)."""
    return f"refund:{order_id}"


def valid_idempotency_key(key: str) -> bool:
    """Whether ``key`` can be sent as an Idempotency-Key (1..255 of letters, digits and ``:_.-``)."""
    return bool(_KEY.match(key))


class PaymentKind(StrEnum):
    """What a payment record is about: an order has at most one of each."""

    CHARGE = "charge"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A provider's decision about an order's charge or refund, as stored with the order's move it caused:
    ``outcome`` is a PaymentOutcome or RefundOutcome value, ``provider_ref`` the provider's id of it."""

    tenant_id: UUID
    order_id: UUID
    kind: PaymentKind
    outcome: str
    provider_ref: str
    amount: Money
    recorded_at: datetime
    reason: str | None = None
