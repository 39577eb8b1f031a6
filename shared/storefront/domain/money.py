"""Money: a decimal amount with an ISO-4217 currency, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency; the amount keeps its exact decimal value."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError("amount must be a finite Decimal")
        if not _CURRENCY.match(self.currency):
            raise ValueError("currency must be an ISO-4217 code such as EUR")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build Money from a decimal string (or int/Decimal) and a currency code."""
        try:
            value = Decimal(str(amount))
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal amount: {amount!r}") from exc
        return cls(value, currency)

    @property
    def decimal_places(self) -> int:
        """How many digits the amount has after the decimal point."""
        exponent = self.amount.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0

    def as_dict(self) -> dict[str, str]:
        """The contract's representation: the amount as a string with two decimals."""
        return {"amount": f"{self.amount.quantize(Decimal('0.01'))}", "currency": self.currency}
