"""The postal address, one value object for a user's profile and an order's shipping address."""

from __future__ import annotations

from dataclasses import dataclass

ADDRESS_LINE_MAX = 200
CITY_MAX = 100
POSTAL_CODE_MAX = 20


@dataclass(frozen=True, slots=True)
class Address:
    """The contract's address: line1, line2 (optional), city, postal_code, country (ISO 3166-1 alpha-2). Each
    context checks it with its own rules (``domain.users`` for a profile, ``domain.orders`` for shipping)."""

    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
