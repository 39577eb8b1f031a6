"""Collection queries, independent of storage: paging by offset or keyset cursor, sorting, filters, the capped total.

The generic part (``Keyset``, ``Window``, ``Page``, ``Listing``, ``fingerprint``) serves every list; a list
adds a query type naming its sorts and filters (``ProductQuery`` below). A repository answers a ``Window``:
up to ``limit + 1`` rows (the extra row only says there is a next page) and the number of matches counted
up to ``TOTAL_CAP + 1`` (never a full count). ``Listing.page`` turns that into the contract's ``Page``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.products import Product, ProductStatus
from storefront.domain.search import SEARCH_WORDS_MAX, TERM_MAX, search_words
from storefront.domain.text import INT32_MAX, INT32_MIN, unstorable_reason

T = TypeVar("T")

SortOrder = Literal["asc", "desc"]
SortValue = datetime | str | Decimal | int

MAX_LIMIT = 100
MAX_OFFSET = 10_000
TOTAL_CAP = 10_000
# A cursor carries the sort value of a row: a 200-character name of 4-byte characters fits with room to spare.
CURSOR_MAX = 2048
_CURSOR_VERSION = 1
# A cursor carries a sort value back; nothing stored is longer or has more integer digits than these.
_CURSOR_TEXT_MAX = 4000
_DECIMAL_DIGITS_MAX = 38
_TIMESTAMP_YEARS = (1900, 9998)


class SortKind(StrEnum):
    """The type of a sort key, which says how its value travels inside a cursor."""

    TIMESTAMP = "timestamp"
    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"


@dataclass(frozen=True, slots=True)
class Keyset:
    """A position in a sorted list: the sort value and id of the last row already seen (the value is None for
    a row without one, on a sort whose key may be missing)."""

    value: SortValue | None
    id: UUID


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """A repository's answer: up to limit + 1 rows in order, and the matches counted up to TOTAL_CAP + 1."""

    rows: list[T]
    matches: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a collection, as the contract's ``meta.pagination`` describes it.

    ``offset`` is None on a page reached by cursor: a keyset page does not know its position.
    """

    items: list[T]
    limit: int
    offset: int | None
    total: int
    total_exact: bool
    has_next: bool
    has_prev: bool
    next_cursor: str | None


def fingerprint(tenant_id: UUID, sort: str, order: SortOrder, filters: Mapping[str, Any]) -> str:
    """A short digest of everything that defines a list; a cursor carries it so a foreign cursor is refused."""
    return _digest([str(tenant_id), sort, order, _plain_filters(filters)])


def matching_digest(tenant_id: UUID, filters: Mapping[str, Any]) -> str:
    """A short digest of what a list matches, whatever its order: lists with the same one have one total."""
    return _digest([str(tenant_id), _plain_filters(filters)])


def _digest(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()[:24]


def _plain_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in sorted(filters.items()) if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, int | str):
        return value
    return str(value)


@dataclass(frozen=True, slots=True)
class Listing:
    """One list query as paging sees it: its fingerprint, the kind of its sort key (and whether rows may have
    none), and the digest of what it matches (the same for every order of the same filters)."""

    fingerprint: str
    kind: SortKind
    matching: str = ""
    nullable: bool = False

    def cursor(self, keyset: Keyset) -> str:
        """The opaque cursor of the page after ``keyset``."""
        value = None if keyset.value is None else _encode_value(self.kind, keyset.value)
        payload = [_CURSOR_VERSION, self.fingerprint, value, keyset.id.hex]
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def after(self, cursor: str | None) -> Keyset | None:
        """The position a client's cursor names; VAL_002 when it is malformed or from another list."""
        if cursor is None:
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            version, owner, value, row_id = payload
        except (ValueError, TypeError, binascii.Error):
            raise _bad_cursor("is not a cursor of this API") from None
        if version != _CURSOR_VERSION or owner != self.fingerprint:
            raise _bad_cursor("belongs to another list (tenant, sort, order or filters differ); start without it")
        try:
            if value is None and self.nullable:
                return Keyset(None, UUID(hex=row_id))
            return Keyset(_decode_value(self.kind, value), UUID(hex=row_id))
        except (ValueError, TypeError, AttributeError, InvalidOperation, OverflowError):
            raise _bad_cursor("is not a cursor of this API") from None

    def page(
        self, window: Window[T], limit: int, offset: int, after: Keyset | None, keyset_of: Callable[[T], Keyset]
    ) -> Page[T]:
        """The page a window holds: has_next from the extra row, the total capped at TOTAL_CAP."""
        items = window.rows[:limit]
        has_next = len(window.rows) > limit
        return Page(
            items=items,
            limit=limit,
            offset=None if after is not None else offset,
            total=min(window.matches, TOTAL_CAP),
            total_exact=window.matches <= TOTAL_CAP,
            has_next=has_next,
            has_prev=after is not None or offset > 0,
            next_cursor=self.cursor(keyset_of(items[-1])) if has_next else None,
        )


def _bad_cursor(reason: str) -> ValidationFailed:
    return ValidationFailed.single("cursor", ErrorCode.INVALID_FORMAT, reason)


def _encode_value(kind: SortKind, value: SortValue) -> str | int:
    if kind is SortKind.TIMESTAMP:
        assert isinstance(value, datetime)
        return value.isoformat()
    if kind is SortKind.INTEGER:
        assert isinstance(value, int)
        return value
    return str(value)


def _decode_value(kind: SortKind, value: Any) -> SortValue:
    if kind is SortKind.INTEGER:
        if type(value) is not int or not INT32_MIN <= value <= INT32_MAX:  # INTEGER columns
            raise TypeError("integer sort value expected")
        return value
    if not isinstance(value, str) or len(value) > _CURSOR_TEXT_MAX or unstorable_reason(value):
        raise TypeError("string sort value expected")
    if kind is SortKind.TIMESTAMP:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("timestamps in cursors are aware")
        utc = moment.astimezone(UTC)  # OverflowError at the ends of the calendar
        if not _TIMESTAMP_YEARS[0] <= utc.year <= _TIMESTAMP_YEARS[1]:
            raise ValueError("timestamp out of the stored range")
        return utc
    if kind is SortKind.DECIMAL:
        amount = Decimal(value)
        if not amount.is_finite() or not -_DECIMAL_DIGITS_MAX < amount.adjusted() < _DECIMAL_DIGITS_MAX:
            raise ValueError("decimal sort value must be finite and storable")
        return amount
    return value


def validate_paging(limit: int, offset: int, cursor: str | None) -> None:
    """The paging rules every list shares: limit 1..100, offset 0..10000, a cursor instead of an offset."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.single("limit", ErrorCode.OUT_OF_RANGE, f"must be 1 to {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed.single(
            "offset", ErrorCode.OUT_OF_RANGE, f"must be 0 to {MAX_OFFSET}; page deeper with next_cursor"
        )
    if cursor is not None and offset:
        raise ValidationFailed.single("offset", ErrorCode.INVALID_FORMAT, "cannot be combined with cursor")


def validate_search(text: str | None) -> None:
    """The rules of a whole-word search (``q``) every list shares: at least one word (letters or digits), at most
    SEARCH_WORDS_MAX words, none longer than TERM_MAX (nothing stored is)."""
    if text is None:
        return
    words = search_words(text)
    if text.strip() and not words:
        raise ValidationFailed.single("q", ErrorCode.INVALID_FORMAT, "has no word (letters or digits) to search for")
    if len(words) > SEARCH_WORDS_MAX:
        raise ValidationFailed.single("q", ErrorCode.OUT_OF_RANGE, f"may have at most {SEARCH_WORDS_MAX} words")
    if any(len(word) > TERM_MAX for word in search_words(text, cut=False)):
        raise ValidationFailed.single("q", ErrorCode.OUT_OF_RANGE, f"words have at most {TERM_MAX} characters")


@dataclass(frozen=True, slots=True)
class PageQuery:
    """What every list query says about its page: how many rows (``limit``), from where (``offset``, or ``cursor``
    for deep pages) and in which order."""

    limit: int = 20
    offset: int = 0
    sort: str = "created_at"
    order: SortOrder = "desc"
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery(PageQuery):
    """A list query with a whole-word search: ``text`` (see ``storefront.domain.search``)."""

    text: str | None = None

    @property
    def words(self) -> tuple[str, ...]:
        """The search words of ``text`` (none: no search)."""
        return search_words(self.text) if self.text else ()

    def validate(self) -> None:
        """VAL_003/VAL_002 for paging out of bounds, a cursor with an offset, or a search the words rules refuse."""
        validate_paging(self.limit, self.offset, self.cursor)
        validate_search(self.text)


PRODUCT_SORTS: dict[str, SortKind] = {
    "created_at": SortKind.TIMESTAMP,
    "updated_at": SortKind.TIMESTAMP,
    "name": SortKind.TEXT,
    "sku": SortKind.TEXT,
    "price": SortKind.DECIMAL,
    "stock": SortKind.INTEGER,
}
PRODUCT_SORT_FIELDS = tuple(PRODUCT_SORTS)

_PRODUCT_SORT_VALUES: dict[str, Callable[[Product], SortValue]] = {
    "created_at": lambda p: p.created_at,
    "updated_at": lambda p: p.updated_at,
    "name": lambda p: p.details.name,
    "sku": lambda p: p.details.sku,
    "price": lambda p: p.details.price.amount,
    "stock": lambda p: p.details.stock,
}


@dataclass(frozen=True, slots=True)
class ProductQuery(SearchQuery):
    """Which live products to list, in which order, and which page (``SearchQuery``); ``text`` searches the name."""

    status: ProductStatus | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    def filters(self) -> dict[str, Any]:
        """The filters that define which products match, in canonical form."""
        return {
            "status": self.status.value if self.status is not None else None,
            "category": self.category,
            "min_price": self.min_price.normalize() if self.min_price is not None else None,
            "max_price": self.max_price.normalize() if self.max_price is not None else None,
            "q": self.words or None,
        }

    def listing(self, tenant_id: UUID) -> Listing:
        """The paging view of this query for one tenant."""
        filters = self.filters()
        return Listing(
            fingerprint(tenant_id, self.sort, self.order, filters),
            PRODUCT_SORTS[self.sort],
            matching_digest(tenant_id, filters),
        )

    def keyset_of(self, product: Product) -> Keyset:
        """Where ``product`` stands in this query's order."""
        return Keyset(_PRODUCT_SORT_VALUES[self.sort](product), product.id)
