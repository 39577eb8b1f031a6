"""Money: a decimal amount with an ISO-4217 currency, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# ISO 4217's currencies in circulation (fund codes, precious metals, SDR, test and "no currency" codes left out).
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST
    XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 - a code table reads best as the table
)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency; the amount keeps its exact decimal value."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError("amount must be a finite Decimal")
        if not _CURRENCY.match(self.currency) or self.currency not in CURRENCIES:
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
