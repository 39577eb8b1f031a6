"""The postal address, one value object and one set of rules for a user's profile and an order's shipping
address."""

from __future__ import annotations

from dataclasses import dataclass

from storefront.domain.countries import COUNTRIES
from storefront.domain.errors import ErrorCode, FieldError
from storefront.domain.text import has_control_characters

ADDRESS_LINE_MAX = 200
CITY_MAX = 100
POSTAL_CODE_MAX = 20


@dataclass(frozen=True, slots=True)
class Address:
    """The contract's address: line1, line2 (optional), city, postal_code, country (ISO 3166-1 alpha-2).
    ``address_errors`` judges it, for a profile and for an order alike."""

    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None

    def trimmed(self) -> Address:
        """The address with its required lines stripped of surrounding spaces (as it is stored). Only spaces: a
        control character or line break at either end is refused by ``address_errors``, never dropped."""
        line1, city, postal_code = (text.strip(" ") for text in (self.line1, self.city, self.postal_code))
        return Address(line1, city, postal_code, self.country, self.line2)


def address_errors(address: Address, prefix: str) -> list[FieldError]:
    """Every broken rule of ``address``, fields named under ``prefix`` (``address.city``): line1, city and
    postal_code not blank, every line within its length and one line (no control character, line break or
    Unicode line separator), the country an ISO 3166-1 alpha-2 code."""
    found = [
        _line(f"{prefix}.line1", address.line1, 1, ADDRESS_LINE_MAX),
        _line(f"{prefix}.line2", address.line2, 0, ADDRESS_LINE_MAX),
        _line(f"{prefix}.city", address.city, 1, CITY_MAX),
        _line(f"{prefix}.postal_code", address.postal_code, 1, POSTAL_CODE_MAX),
        None
        if address.country in COUNTRIES
        else FieldError(f"{prefix}.country", ErrorCode.INVALID_FORMAT, "must be an ISO 3166-1 alpha-2 code such as FR"),
    ]
    return [e for e in found if e is not None]


def _line(field_name: str, value: str | None, low: int, high: int) -> FieldError | None:
    if value is None:
        return None
    if not low <= len(value.strip()) <= high or len(value) > high:
        reason = "must not be blank" if low and not value.strip() else f"must be {low} to {high} characters long"
        return FieldError(field_name, ErrorCode.OUT_OF_RANGE, reason)
    if has_control_characters(value):
        return FieldError(field_name, ErrorCode.INVALID_FORMAT, "must be one line without control characters")
    return None
