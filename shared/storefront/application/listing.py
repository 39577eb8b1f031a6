"""A list page whose total is remembered: the part of every list use case that is not about its entity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from storefront.application.ports import ListTotals
from storefront.application.queries import Keyset, Listing, Page, Window

T = TypeVar("T")
Item = TypeVar("Item", contravariant=True)


class PagedQuery(Protocol[Item]):
    """What a list query says about its page: its size, where it starts (``offset`` or ``cursor``), and where an
    item stands in its order."""

    @property
    def limit(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def cursor(self) -> str | None: ...

    def keyset_of(self, item: Item, /) -> Keyset: ...


def remembered_page(
    totals: ListTotals,
    scope: str,
    listing: Listing,
    query: PagedQuery[T],
    read: Callable[[Keyset | None, int | None], Window[T]],
) -> Page[T]:
    """The page of ``query`` that ``read(after, known_matches)`` returns (``after``: where the query's cursor
    points, VAL_002 for a foreign one), its capped match count remembered per filter set in ``scope`` until a
    write makes the scope forget: repeated and further pages read only their rows, and a list remembered to match
    nothing reads no rows at all."""
    after = listing.after(query.cursor)
    recalled = totals.recall(scope, listing.matching)
    if recalled.matches == 0:
        window: Window[T] = Window([], 0)
    else:
        window = read(after, recalled.matches)
        if recalled.matches is None and recalled.generation is not None:
            totals.remember(scope, listing.matching, recalled.generation, window.matches)
    return listing.page(window, query.limit, query.offset, after, query.keyset_of)
