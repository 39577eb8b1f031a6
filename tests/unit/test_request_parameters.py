"""Query and path parameters alike behind both gateways; text no backend can store is refused (tables)."""

import pytest

from storefront.application.queries import ProductQuery
from storefront.domain.errors import ValidationFailed
from storefront.domain.text import unstorable_reason
from storefront.http.entry import accepts_gzip
from storefront.http.parameters import normalise_parameters
from storefront.http.request_meta import bind_request


@pytest.mark.parametrize(
    ("single", "multi", "expected_single", "expected_multi"),
    [
        ({"q": True}, {"q": [True]}, {"q": ""}, {"q": [""]}),  # Kong: ?q (no value)
        ({"q": ""}, {"q": [""]}, {"q": ""}, {"q": [""]}),  # API Gateway: ?q
        ({"a": "1"}, {"a": ["1", "2"]}, {"a": "2"}, {"a": ["1", "2"]}),  # Kong keeps the first, API Gateway the last
        ({"a": ["1", "2"]}, None, {"a": "2"}, {"a": ["1", "2"]}),
        ({"n": 5}, None, {"n": "5"}, {"n": ["5"]}),
    ],
)
def test_parameters_take_api_gateways_form(single, multi, expected_single, expected_multi):
    event = {"queryStringParameters": single, "multiValueQueryStringParameters": multi}
    normalise_parameters(event)
    assert (event["queryStringParameters"], event["multiValueQueryStringParameters"]) == (
        expected_single,
        expected_multi,
    )


@pytest.mark.parametrize(
    "event",
    [
        {"queryStringParameters": {"category": "a\x00b"}},
        {"multiValueQueryStringParameters": {"q": ["ok", "\ud800"]}},
        {"pathParameters": {"product_id": "\x00"}},
    ],
)
def test_unstorable_parameter_text_is_422_val_002(event):
    with pytest.raises(ValidationFailed) as refused:
        normalise_parameters(event)
    assert refused.value.code.value == "VAL_002"


@pytest.mark.parametrize(
    ("text", "storable"),
    [("plain", True), ("Thé 🍵", True), ("", True), ("a\x00", False), ("\ud800", False), ("x\udfffy", False)],
)
def test_storable_text(text, storable):
    assert (unstorable_reason(text) is None) is storable


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("GZIP;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*", True),
        ("*;q=0", False),
        ("br", False),
        ("identity", False),
        (None, False),
        ("gzip;q=x", False),
    ],
)
def test_accept_encoding(value, accepted):
    assert accepts_gzip(value) is accepted


@pytest.mark.parametrize(
    "kong_id",
    ["abc-123", "8f14e45fceea167a5a36dedd4bea2543", "<script>alert(1)</script>", "", "x" * 129],
)
def test_behind_kong_the_request_id_is_kongs_own_whatever_the_client_sends(kong_id):
    """Outside passes: a client's X-Kong-Request-ID became the id its request was logged and answered under."""
    event = {"headers": {"X-Kong-Request-ID": kong_id}, "requestContext": {"requestId": "8f14e45fceea167a"}}
    assert bind_request(event, behind_kong=True).request_id == "8f14e45fceea167a"
    assert bind_request(event, behind_kong=False).request_id == "8f14e45fceea167a"


@pytest.mark.parametrize(
    ("kong_id", "expected"),
    [
        ("abc-123", "abc-123"),
        ("8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"),  # Kong's own
        ("6f1d3a0e-5b7c-4e2a-9d8f-0a1b2c3d4e5f#42", "6f1d3a0e-5b7c-4e2a-9d8f-0a1b2c3d4e5f#42"),  # correlation-id
        ("abc\r\n  folded: 1", ""),
        ("x" * 129, ""),
        ("", ""),
        ("a b", ""),
        ("<script>alert(1)</script>", ""),  # outside pass: echoed in X-Request-ID and the logs
        ('"quoted"', ""),
    ],
)
def test_an_event_without_kongs_id_takes_the_header_only_when_shaped_like_a_request_id(kong_id, expected):
    event = {"headers": {"X-Kong-Request-ID": kong_id}, "requestContext": {}}
    assert bind_request(event, behind_kong=True).request_id == expected
    assert bind_request(event, behind_kong=False).request_id == ""


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("stock", 2**63),
        ("stock", 2**31),
        ("stock", -(2**31) - 1),
        ("name", "\ud800"),
        ("name", "a\x00"),
        ("price", "1e40"),
        ("price", "1E-999999999"),
        ("created_at", "0001-01-01T00:00:00+14:00"),
        ("created_at", "9999-12-31T23:59:59-14:00"),
        ("created_at", "1800-01-01T00:00:00+00:00"),
    ],
)
def test_a_cursor_carrying_an_unstorable_value_is_422(tenant, sort, value):
    import base64
    import json

    listing = ProductQuery(sort=sort).listing(tenant)
    raw = json.dumps([1, listing.fingerprint, value, "0" * 32]).encode()
    cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    with pytest.raises(ValidationFailed) as refused:
        listing.after(cursor)
    assert refused.value.code.value == "VAL_002"


@pytest.mark.parametrize("name", ["\U0001f375" * 200, '"' * 200, "\\" * 200, "é" * 200])
def test_the_cursor_of_any_storable_name_is_accepted_back(tenant, name):
    from uuid import uuid4

    from storefront.application.queries import CURSOR_MAX, Keyset

    listing = ProductQuery(sort="name").listing(tenant)
    keyset = Keyset(name, uuid4())
    cursor = listing.cursor(keyset)
    assert len(cursor) <= CURSOR_MAX
    assert listing.after(cursor) == keyset
