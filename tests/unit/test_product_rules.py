"""The rules every product obeys, as a table."""

from decimal import Decimal

import pytest

from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.money import Money
from storefront.domain.products import Product
from tests.conftest import details


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"sku": ""}, "sku", ErrorCode.OUT_OF_RANGE),
        ({"sku": "   "}, "sku", ErrorCode.OUT_OF_RANGE),
        ({"sku": "x" * 65}, "sku", ErrorCode.OUT_OF_RANGE),
        ({"name": ""}, "name", ErrorCode.OUT_OF_RANGE),
        ({"name": "n" * 201}, "name", ErrorCode.OUT_OF_RANGE),
        ({"sku": "A\nB"}, "sku", ErrorCode.INVALID_FORMAT),  # outside pass: one-line fields took line breaks
        ({"name": "tea\r\nBcc: x"}, "name", ErrorCode.INVALID_FORMAT),
        ({"category": "Tea\t"}, "category", ErrorCode.INVALID_FORMAT),
        ({"name": "bell\x85"}, "name", ErrorCode.INVALID_FORMAT),  # C1 (NEL)
        ({"description": "d" * 4001}, "description", ErrorCode.OUT_OF_RANGE),
        ({"price": Money(Decimal("0"), "EUR")}, "price.amount", ErrorCode.OUT_OF_RANGE),
        ({"price": Money(Decimal("-1.00"), "EUR")}, "price.amount", ErrorCode.OUT_OF_RANGE),
        ({"price": Money(Decimal("1.999"), "EUR")}, "price.amount", ErrorCode.OUT_OF_RANGE),
        ({"price": Money(Decimal("10000000000.00"), "EUR")}, "price.amount", ErrorCode.OUT_OF_RANGE),
        ({"stock": -1}, "stock", ErrorCode.OUT_OF_RANGE),
        ({"stock": 2_147_483_648}, "stock", ErrorCode.OUT_OF_RANGE),
        ({"category": ""}, "category", ErrorCode.OUT_OF_RANGE),
        ({"category": "c" * 101}, "category", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_a_broken_rule_names_its_field(overrides, field, code):
    with pytest.raises(ValidationFailed) as raised:
        details(**overrides).validated()
    assert raised.value.details is not None
    assert raised.value.details["field"] == field
    assert raised.value.code == code


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"sku": "x" * 64, "name": "n" * 200, "description": "d" * 4000, "category": "c" * 100},
        {"price": Money(Decimal("0.01"), "EUR"), "stock": 0, "description": "", "category": None},
        {"price": Money(Decimal("9999999999.99"), "USD"), "stock": 2_147_483_647},
        {"description": "two\nlines\tand a tab"},  # a description may span lines
    ],
)
def test_valid_details_pass(overrides):
    assert details(**overrides).validated() == details(**overrides)


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(ValidationFailed) as raised:
        details(sku="", name="", stock=-3).validated()
    assert [e.field for e in raised.value.errors] == ["sku", "name", "stock"]


def test_revise_and_delete_move_the_version_and_audit_fields(tenant, catalog):
    created = Product.create(tenant, details(), "alice", catalog.clock.now())
    catalog.clock.advance(60)
    revised = created.revise(details(name="Kettle"), "bob", catalog.clock.now())
    deleted = revised.delete("carol", catalog.clock.now())
    assert (created.version, revised.version, deleted.version) == (1, 2, 3)
    assert revised.created_by == "alice"
    assert revised.updated_by == "bob"
    assert revised.updated_at > created.updated_at
    assert deleted.deleted_at == catalog.clock.now()
    assert deleted.updated_by == "carol"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("abc", "EUR"), ("1.0", "eur"), ("1.0", "EURO"), ("NaN", "EUR"), ("Infinity", "EUR")],
)
def test_money_refuses_what_is_not_money(amount, currency):
    with pytest.raises(ValueError):
        Money.of(amount, currency)


@pytest.mark.parametrize(("amount", "shown"), [("19.9", "19.90"), ("5", "5.00"), ("0.01", "0.01")])
def test_money_shows_two_decimals(amount, shown):
    assert Money.of(amount, "EUR").as_dict() == {"amount": shown, "currency": "EUR"}


@pytest.mark.parametrize(
    ("currency", "valid"),
    [
        ("EUR", True),
        ("JPY", True),
        ("XOF", True),
        ("ZZZ", False),
        ("XXX", False),
        ("XAU", False),
        ("eur", False),
        ("EURO", False),
    ],
)
def test_a_price_is_in_an_iso_4217_currency_in_circulation(currency, valid):
    if valid:
        assert Money.of("1.00", currency).currency == currency
    else:
        with pytest.raises(ValueError):
            Money.of("1.00", currency)
