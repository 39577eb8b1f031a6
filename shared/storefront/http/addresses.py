"""The postal address over HTTP, one input and one output model for profiles and orders alike."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from storefront.domain.addresses import ADDRESS_LINE_MAX, CITY_MAX, POSTAL_CODE_MAX, Address
from storefront.http.request_body import StrictBody

_ONE_LINE = "One line: no control characters, line breaks or Unicode line separators."
# The published rules of each field (``domain.addresses.address_errors`` checks them): line1, city and
# postal_code are not blank, every line is one line.
ADDRESS_RULES: dict[str, JsonDict] = {
    "line1": {"minLength": 1, "maxLength": ADDRESS_LINE_MAX, "pattern": r"\S", "description": _ONE_LINE},
    "line2": {"maxLength": ADDRESS_LINE_MAX, "description": _ONE_LINE},
    "city": {"minLength": 1, "maxLength": CITY_MAX, "pattern": r"\S", "description": _ONE_LINE},
    "postal_code": {"minLength": 1, "maxLength": POSTAL_CODE_MAX, "pattern": r"\S", "description": _ONE_LINE},
    "country": {"pattern": "^[A-Z]{2}$", "description": "An ISO 3166-1 alpha-2 code (FR)."},
}


class AddressIn(StrictBody):
    """A postal address; `country` is an ISO 3166-1 alpha-2 code."""

    line1: str = Field(json_schema_extra=ADDRESS_RULES["line1"])
    line2: str | None = Field(None, json_schema_extra=ADDRESS_RULES["line2"])
    city: str = Field(json_schema_extra=ADDRESS_RULES["city"])
    postal_code: str = Field(json_schema_extra=ADDRESS_RULES["postal_code"])
    country: str = Field(json_schema_extra=ADDRESS_RULES["country"])

    def to_address(self) -> Address:
        """The address with its required lines trimmed (the domain's rules judge it)."""
        return Address(self.line1, self.city, self.postal_code, self.country, self.line2).trimmed()


class AddressPatch(StrictBody):
    """Some fields of an address (merged into the current one; the merged address follows the same rules)."""

    line1: str | None = Field(None, json_schema_extra=ADDRESS_RULES["line1"])
    line2: str | None = Field(None, json_schema_extra=ADDRESS_RULES["line2"])
    city: str | None = Field(None, json_schema_extra=ADDRESS_RULES["city"])
    postal_code: str | None = Field(None, json_schema_extra=ADDRESS_RULES["postal_code"])
    country: str | None = Field(None, json_schema_extra=ADDRESS_RULES["country"])


class AddressOut(BaseModel):
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str


def present_address(address: Address) -> dict[str, Any]:
    """An address as clients see it."""
    return {
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "postal_code": address.postal_code,
        "country": address.country,
    }
