"""One set of address rules for a profile's address and an order's shipping address: line1, city and
postal_code not blank, every line one line (no control character, CR/LF or Unicode line separator)."""

from __future__ import annotations

from typing import Any

import pytest

from storefront.domain.addresses import Address, address_errors
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.users import Profile

GOOD = {"line1": "1 Rue de la Paix", "line2": "Bât. B", "city": "Paris", "postal_code": "75002", "country": "FR"}
LINES = ("line1", "line2", "city", "postal_code")
# Characters a one-line field refuses: C0 (line breaks and tab included), DEL, C1 (NEL), the Unicode separators.
NOT_ONE_LINE = ["\n", "\r", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


def address(**changes: Any) -> Address:
    return Address(**{**GOOD, **changes})


@pytest.mark.parametrize("prefix", ["address", "shipping_address"])
@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({}, None, None),
        ({"line2": None}, None, None),
        ({"line2": ""}, None, None),
        ({"line1": "a" * 200, "city": "c" * 100, "postal_code": "p" * 20}, None, None),
        ({"line1": "Zoë's Straße 5 – 東京"}, None, None),
        ({"line1": ""}, "line1", ErrorCode.OUT_OF_RANGE),
        ({"line1": "   "}, "line1", ErrorCode.OUT_OF_RANGE),
        ({"city": "\u00a0 "}, "city", ErrorCode.OUT_OF_RANGE),
        ({"postal_code": " "}, "postal_code", ErrorCode.OUT_OF_RANGE),
        ({"line1": "a" * 201}, "line1", ErrorCode.OUT_OF_RANGE),
        ({"line2": "a" * 201}, "line2", ErrorCode.OUT_OF_RANGE),
        ({"city": "c" * 101}, "city", ErrorCode.OUT_OF_RANGE),
        ({"postal_code": "p" * 21}, "postal_code", ErrorCode.OUT_OF_RANGE),
        ({"country": "XX"}, "country", ErrorCode.INVALID_FORMAT),
        ({"country": "fr"}, "country", ErrorCode.INVALID_FORMAT),
    ]
    + [({name: f"1 Rue{bad}de la Paix"}, name, ErrorCode.INVALID_FORMAT) for name in LINES for bad in NOT_ONE_LINE],
)
def test_the_address_rules(prefix, changes, field, code):
    errors = address_errors(address(**changes), prefix)
    expected = [] if field is None else [(f"{prefix}.{field}", code)]
    assert [(e.field, e.code) for e in errors] == expected


def test_a_blank_required_line_says_it_must_not_be_blank():
    [error] = address_errors(address(city="  "), "address")
    assert error.reason == "must not be blank"


def test_a_profile_address_is_judged_and_trimmed_as_an_order_address_is():
    patched = Profile().patched({"address": {**GOOD, "line1": "  1 Rue de la Paix ", "city": " Paris"}})
    assert patched.address == address()
    with pytest.raises(ValidationFailed) as failed:
        Profile().patched({"address": {**GOOD, "city": "Paris\nCedex"}})
    assert [e.field for e in failed.value.errors] == ["address.city"]


# Addresses the handlers refuse (tests/unit/test_user_handlers.py, test_order_handlers.py): (changes, field).
BAD_ADDRESSES = [
    ({"line1": "1 Rue\r\nBcc: x@example.com"}, "line1"),
    ({"line2": "Apt 4\u2028"}, "line2"),
    ({"city": "Paris\x85"}, "city"),
    ({"postal_code": "75002\t"}, "postal_code"),
    ({"line1": "  "}, "line1"),
    ({"city": ""}, "city"),
    ({"postal_code": "   "}, "postal_code"),
]
