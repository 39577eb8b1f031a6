"""A list page whose total is remembered: the part of every list use case that is not about its entity."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from storefront.application.ports import ListTotals
from storefront.application.queries import Keyset, Listing, Page, Window

T = TypeVar("T")


def remembered_page(
    totals: ListTotals,
    scope: str,
    listing: Listing,
    read: Callable[[int | None], Window[T]],
    *,
    limit: int,
    offset: int,
    after: Keyset | None,
    keyset_of: Callable[[T], Keyset],
) -> Page[T]:
    """The page ``read(known_matches)`` returns, its capped match count remembered per filter set in ``scope``
    until a write makes the scope forget: repeated and further pages read only their rows, and a list
    remembered to match nothing reads no rows at all."""
    recalled = totals.recall(scope, listing.matching)
    if recalled.matches == 0:
        window: Window[T] = Window([], 0)
    else:
        window = read(recalled.matches)
        if recalled.matches is None and recalled.generation is not None:
            totals.remember(scope, listing.matching, recalled.generation, window.matches)
    return listing.page(window, limit, offset, after, keyset_of)
