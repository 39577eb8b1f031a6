"""Paging rules shared by every list: cursors, fingerprints, the capped total, has_next; and the search words."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from storefront.application.queries import (
    TOTAL_CAP,
    Keyset,
    Listing,
    ProductQuery,
    SortKind,
    Window,
    fingerprint,
)
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.products import ProductStatus
from storefront.domain.search import matches, search_words

TENANT = UUID(int=1)
ROW = UUID(int=99)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (SortKind.TIMESTAMP, datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)),
        (SortKind.TEXT, 'Grüner tee, 100% "quoted"'),
        (SortKind.DECIMAL, Decimal("19.90")),
        (SortKind.INTEGER, 0),
    ],
)
def test_a_cursor_round_trips_its_keyset_exactly(kind, value):
    listing = Listing("f" * 24, kind)
    cursor = listing.cursor(Keyset(value, ROW))
    assert cursor.isascii()
    assert "=" not in cursor
    assert listing.after(cursor) == Keyset(value, ROW)


def raw_cursor(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("kind", "cursor"),
    [
        (SortKind.TEXT, "%%%"),
        (SortKind.TEXT, raw_cursor({"not": "a list"})),
        (SortKind.TEXT, raw_cursor([1, "f" * 24, "x"])),
        (SortKind.TEXT, raw_cursor([2, "f" * 24, "x", ROW.hex])),
        (SortKind.TEXT, raw_cursor([1, "e" * 24, "x", ROW.hex])),
        (SortKind.TEXT, raw_cursor([1, "f" * 24, "x", "not-an-id"])),
        (SortKind.TEXT, raw_cursor([1, "f" * 24, 5, ROW.hex])),
        (SortKind.INTEGER, raw_cursor([1, "f" * 24, "5", ROW.hex])),
        (SortKind.INTEGER, raw_cursor([1, "f" * 24, True, ROW.hex])),
        (SortKind.DECIMAL, raw_cursor([1, "f" * 24, "NaN", ROW.hex])),
        (SortKind.DECIMAL, raw_cursor([1, "f" * 24, "ten", ROW.hex])),
        (SortKind.TIMESTAMP, raw_cursor([1, "f" * 24, "2026-11-24T10:00:00", ROW.hex])),
        (SortKind.TIMESTAMP, raw_cursor([1, "f" * 24, "yesterday", ROW.hex])),
    ],
)
def test_a_bad_or_foreign_cursor_is_val_002_on_the_cursor(kind, cursor):
    with pytest.raises(ValidationFailed) as raised:
        Listing("f" * 24, kind).after(cursor)
    assert (raised.value.code, raised.value.details["field"]) == (ErrorCode.INVALID_FORMAT, "cursor")  # type: ignore[index]


@pytest.mark.parametrize(
    "other",
    [
        {"sort": "price"},
        {"order": "asc"},
        {"status": ProductStatus.ACTIVE},
        {"category": "Tea"},
        {"min_price": Decimal("1")},
        {"max_price": Decimal("1")},
        {"text": "tea"},
    ],
)
def test_the_fingerprint_changes_with_everything_that_defines_the_list(other):
    assert ProductQuery(**other).listing(TENANT).fingerprint != ProductQuery().listing(TENANT).fingerprint


def test_the_fingerprint_ignores_paging_and_spelling_of_the_same_filters():
    base = ProductQuery(min_price=Decimal("1.0"), text="Green  TEA!").listing(TENANT).fingerprint
    same = ProductQuery(limit=5, offset=40, min_price=Decimal("1.00"), text="green tea").listing(TENANT)
    assert same.fingerprint == base
    assert ProductQuery().listing(uuid4()).fingerprint != ProductQuery().listing(TENANT).fingerprint
    assert fingerprint(TENANT, "name", "asc", {"q": None}) == fingerprint(TENANT, "name", "asc", {})


@pytest.mark.parametrize(
    ("rows", "matches", "limit", "offset", "expected"),
    [
        (3, 3, 5, 0, (3, True, False, False, False)),
        (6, 40, 5, 0, (40, True, True, False, True)),
        (5, 5, 5, 0, (5, True, False, False, False)),
        (2, TOTAL_CAP + 1, 5, 0, (TOTAL_CAP, False, False, False, False)),
        (6, TOTAL_CAP, 5, 10, (TOTAL_CAP, True, True, True, True)),
        (0, 7, 5, 10, (7, True, False, True, False)),
    ],
)
def test_a_window_becomes_a_page(rows, matches, limit, offset, expected):
    listing = Listing("f" * 24, SortKind.INTEGER)
    page = listing.page(Window(list(range(rows)), matches), limit, offset, None, lambda n: Keyset(n, ROW))
    assert len(page.items) == min(rows, limit)
    got = (page.total, page.total_exact, page.has_next, page.has_prev, page.next_cursor is not None)
    assert got == expected
    if page.next_cursor:
        assert listing.after(page.next_cursor) == Keyset(limit - 1, ROW)


def test_a_page_after_a_cursor_has_no_offset_and_a_previous_page():
    listing = Listing("f" * 24, SortKind.INTEGER)
    page = listing.page(Window([1], 1), 5, 0, Keyset(0, ROW), lambda n: Keyset(n, ROW))
    assert (page.offset, page.has_prev) == (None, True)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Cast-iron tea pot", ("cast", "iron", "tea", "pot")),
        ("GRÜNER Tee", ("grüner", "tee")),
        ("Straße", ("strasse",)),
        ("snake_case 100% ½", ("snake", "case", "100", "1", "2")),
        ("tea TEA tea", ("tea",)),
        ("!!! --", ()),
        ("x" * 70, ("x" * 64,)),
    ],
)
def test_search_words(text, words):
    assert search_words(text) == words


@pytest.mark.parametrize(
    ("query", "name", "found"),
    [
        ("tea", "Teapot stand", False),
        ("teapot", "Teapot stand", True),
        ("tea pot", "Teapot stand", False),
        ("tea pot", "Cast-iron tea pot", True),
        ("pot tea", "Cast-iron tea pot", True),
        ("tea", "Teacup with potholder", False),
        ("pot", "Teapot", False),
        ("TEA", "tea, Tea and TEA", True),
        ("tea cup", "Tea for two", False),
        ("", "anything", True),
    ],
)
def test_matches_whole_words_in_any_order(query, name, found):
    assert matches(search_words(query), name) is found
