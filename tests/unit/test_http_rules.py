"""HTTP rules as tables: error code -> status, pydantic errors -> contract codes, ETags, fields and sort."""

import pytest

from storefront.domain.errors import (
    AppError,
    Conflict,
    ErrorCode,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Timeout,
    TokenExpired,
    Unauthenticated,
    ValidationFailed,
)
from storefront.http.conditional import etag, expected_version, matches_none
from storefront.http.products import parse_fields, parse_sort
from storefront.http.status import STATUS_BY_CODE, status_for
from storefront.http.validation import code_for, field_name, from_pydantic


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (AppError(), 500, "SYS_001"),
        (Timeout(), 504, "SYS_002"),
        (ServiceUnavailable(), 503, "SYS_003"),
        (ValidationFailed.single("x", ErrorCode.REQUIRED, "is required"), 400, "VAL_001"),
        (ValidationFailed.single("x", ErrorCode.INVALID_FORMAT, "bad"), 422, "VAL_002"),
        (ValidationFailed.single("x", ErrorCode.OUT_OF_RANGE, "too big"), 422, "VAL_003"),
        (PayloadTooLarge(), 413, "VAL_003"),
        (Unauthenticated(), 401, "AUTH_001"),
        (TokenExpired(), 401, "AUTH_002"),
        (Forbidden(), 403, "AUTH_003"),
        (NotFound(), 404, "BIZ_001"),
        (Conflict(), 409, "BIZ_002"),
    ],
)
def test_each_error_answers_with_its_contract_status(error, status, code):
    assert (status_for(error), error.code.value) == (status, code)


def test_every_code_has_a_status():
    assert set(STATUS_BY_CODE) == set(ErrorCode)


@pytest.mark.parametrize(
    ("pydantic_type", "code"),
    [
        ("missing", ErrorCode.REQUIRED),
        ("json_invalid", ErrorCode.REQUIRED),
        ("uuid_parsing", ErrorCode.INVALID_FORMAT),
        ("enum", ErrorCode.INVALID_FORMAT),
        ("int_parsing", ErrorCode.INVALID_FORMAT),
        ("string_pattern_mismatch", ErrorCode.INVALID_FORMAT),
        ("extra_forbidden", ErrorCode.INVALID_FORMAT),
        ("less_than_equal", ErrorCode.OUT_OF_RANGE),
        ("greater_than_equal", ErrorCode.OUT_OF_RANGE),
        ("string_too_long", ErrorCode.OUT_OF_RANGE),
        ("decimal_max_digits", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_pydantic_error_types_map_to_contract_codes(pydantic_type, code):
    assert code_for(pydantic_type) == code


@pytest.mark.parametrize(
    ("location", "name"),
    [(("body", "price", "amount"), "price.amount"), (("query", "limit"), "limit"), (("body",), "body"), ((), "body")],
)
def test_field_names_drop_the_request_part(location, name):
    assert field_name(location) == name


def test_the_most_basic_error_comes_first_and_all_are_listed():
    failed = from_pydantic(
        [
            {"type": "less_than_equal", "loc": ("query", "limit"), "msg": "Input should be less than or equal to 100"},
            {"type": "missing", "loc": ("body", "sku"), "msg": "Field required"},
        ]
    )
    assert failed.code == ErrorCode.REQUIRED
    assert failed.details == {
        "field": "sku",
        "reason": "is required",
        "errors": [
            {"field": "sku", "code": "VAL_001", "reason": "is required"},
            {"field": "limit", "code": "VAL_003", "reason": "input should be less than or equal to 100"},
        ],
    }


@pytest.mark.parametrize(
    ("header", "current", "hit"),
    [
        (None, '"v3"', False),
        ('"v3"', '"v3"', True),
        ('W/"v3"', '"v3"', True),
        ('"v2", "v3"', '"v3"', True),
        ("*", '"v3"', True),
        ('"v2"', '"v3"', False),
    ],
)
def test_if_none_match(header, current, hit):
    assert matches_none(header, current) is hit


@pytest.mark.parametrize(
    ("if_match", "body_version", "expected"),
    [
        (None, None, None),
        (None, 4, 4),
        ('"v7"', None, 7),
        ('"v7"', 7, 7),
        ('"v7"', 4, 0),  # If-Match and the body disagree: one of them is stale
        ('"v02"', None, 0),  # a well-formed tag we never write matches nothing
        ('"v0"', None, 0),
        ("*", None, None),
        ("*", 3, 3),
        ("", 3, 3),
    ],
)
def test_expected_version_prefers_if_match(if_match, body_version, expected):
    assert expected_version(if_match, body_version) == expected


@pytest.mark.parametrize(("if_match", "body_version"), [('W/"v2"', None), ('W/"v2"', 2), (' W/"v7" ', None)])
def test_a_weak_if_match_is_refused_saying_a_weak_validator_never_matches(if_match, body_version):
    """Outside pass: W/"v2" answered "changed by someone else"; If-Match compares strongly (RFC 9110)."""
    with pytest.raises(Conflict) as raised:
        expected_version(if_match, body_version)
    assert raised.value.message == "A weak ETag cannot be used in If-Match"
    assert raised.value.details is not None
    assert "without W/" in str(raised.value.details["reason"])


@pytest.mark.parametrize("if_match", ['"abc"', "v3", '"v3", "v4"', '"v-1"'])
def test_a_malformed_if_match_is_a_format_error(if_match):
    with pytest.raises(ValidationFailed) as raised:
        expected_version(if_match, None)
    assert raised.value.code == ErrorCode.INVALID_FORMAT


def test_etag_round_trips_through_if_match():
    assert expected_version(etag(12), None) == 12


@pytest.mark.parametrize(
    ("value", "selected"),
    [(None, None), ("", None), ("id,name", ("id", "name")), (" id , id ,price", ("id", "price"))],
)
def test_fields_selection(value, selected):
    assert parse_fields(value) == selected


@pytest.mark.parametrize("value", ["id,password", "tenant_id", "deleted_at", ",,,", " , "])
def test_unknown_fields_are_refused(value):
    with pytest.raises(ValidationFailed) as raised:
        parse_fields(value)
    assert raised.value.details is not None
    assert raised.value.details["field"] == "fields"


@pytest.mark.parametrize("value", ["name", "price", "created_at"])
def test_whitelisted_sorts_pass(value):
    assert parse_sort(value) == value


@pytest.mark.parametrize("value", ["tenant_id", "id; drop table", "NAME", ""])
def test_other_sorts_are_refused(value):
    with pytest.raises(ValidationFailed) as raised:
        parse_sort(value)
    assert raised.value.code == ErrorCode.INVALID_FORMAT
