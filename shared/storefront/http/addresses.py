"""The postal address over HTTP, one input and one output model for profiles and orders alike."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from storefront.domain.addresses import ADDRESS_LINE_MAX, CITY_MAX, POSTAL_CODE_MAX, Address
from storefront.http.request_body import StrictBody


class AddressIn(StrictBody):
    """A postal address; `country` is an ISO 3166-1 alpha-2 code."""

    line1: str = Field(json_schema_extra={"minLength": 1, "maxLength": ADDRESS_LINE_MAX, "pattern": r"\S"})
    line2: str | None = Field(None, json_schema_extra={"maxLength": ADDRESS_LINE_MAX})
    city: str = Field(json_schema_extra={"minLength": 1, "maxLength": CITY_MAX, "pattern": r"\S"})
    postal_code: str = Field(json_schema_extra={"minLength": 1, "maxLength": POSTAL_CODE_MAX, "pattern": r"\S"})
    country: str = Field(json_schema_extra={"pattern": "^[A-Z]{2}$"})

    def to_address(self) -> Address:
        """The address with its required lines trimmed (the domain's rules judge it)."""
        return Address(
            line1=self.line1.strip(),
            line2=self.line2,
            city=self.city.strip(),
            postal_code=self.postal_code.strip(),
            country=self.country,
        )


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
