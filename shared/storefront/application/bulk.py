"""What every service route shares: per-item results, chunks of bulk statements, and sync pages.

Sync (``GET services/<resource>/sync``): the rows of a tenant changed after a cursor, oldest change first, in
(UPDATED_AT, ID) order, deleted rows included. Two things could make a client miss a change or see one twice:

- a transaction stamps UPDATED_AT before it commits, and transactions commit out of stamp order: a reader that
  passed time T could later see a row stamped before T commit. So a page reads only rows stamped at or before
  ``now - lag`` (the horizon): the lag is longer than any writing transaction can take from stamp to commit
  (``SyncSettings``), so every row at or before the horizon is already committed or rolled back for good;
- a row changed again moves to a new (UPDATED_AT, ID) position after the cursor: the client sees its newest
  state again, once per change, never the same change twice.

The cursor is opaque (``Listing.cursor``: base64 JSON of the last row's UPDATED_AT and id, with a fingerprint of
the tenant and resource, so another tenant's or resource's cursor is 422 VAL_002). ``next_cursor`` is the
position after a page's last row, null when the page is empty: the client is caught up and keeps the cursor it
sent for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Literal, Protocol, TypeVar
from uuid import UUID

from storefront.application.ports import Transaction
from storefront.application.queries import Keyset, Listing, SortKind, fingerprint
from storefront.domain.errors import AppError, Conflict, ErrorCode, ValidationFailed

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item as parsed
R = TypeVar("R")
ATTEMPTS = 2
BATCH_MAX = 1000  # items of one batch or bulk-update request
# Rows per bulk statement (executemany) and values per IN list: Oracle takes at most 1000 expressions in a list
# (ORA-01795), and an executemany of a few hundred rows is one round trip's worth on every backend.
WRITE_CHUNK = 500
IN_LIST_MAX = 1000
SYNC_LIMIT_MAX = 100
ItemStatus = Literal["created", "updated", "conflict", "failed"]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome of one item of a batch or bulk-update, at its index in the request."""

    index: int
    status: ItemStatus
    id: UUID | None = None
    error: AppError | None = None


def failed(index: int, error: AppError, resource_id: UUID | None = None) -> ItemResult:
    """An item that was refused (``resource_id``: the one it names, for a change to an existing row)."""
    return ItemResult(index, "failed", resource_id, error)


def taken(field: str) -> Conflict:
    """BIZ_002 for a unique value another row of the tenant holds."""
    return Conflict(f"The {field} is taken in this tenant", details={"field": field, "reason": "is taken"})


def admitted(
    items: Sequence[I | AppError], build: Callable[[I], T], unique: Callable[[T], Mapping[str, str]]
) -> tuple[list[tuple[int, T]], dict[int, ItemResult]]:
    """Each item that parsed (an AppError in its place fails it) built by ``build`` (an AppError it raises fails
    the item), then ``first_of_each``: the items to go on with, at their indexes, and the failed ones."""
    results: dict[int, ItemResult] = {}
    built: list[tuple[int, T]] = []
    for index, item in enumerate(items):
        try:
            if isinstance(item, AppError):
                raise item
            built.append((index, build(item)))
        except AppError as refused:
            results[index] = failed(index, refused)
    kept, repeated = first_of_each(built, unique)
    return kept, {**results, **repeated}


def split_fresh(
    candidates: Sequence[tuple[int, T]],
    unique: Callable[[T], Mapping[str, str]],
    held: Callable[[Mapping[str, list[str]]], Mapping[str, set[str]]],
) -> tuple[list[tuple[int, T]], dict[int, ItemResult]]:
    """The candidates none of whose unique values another row holds (``held``: which of some values are held, by
    field), and the others failed with BIZ_002 naming the field."""
    wanted: dict[str, list[str]] = {}
    for _, item in candidates:
        for field, value in unique(item).items():
            wanted.setdefault(field, []).append(value)
    holding = held(wanted) if wanted else {}
    fresh: list[tuple[int, T]] = []
    refused: dict[int, ItemResult] = {}
    for index, item in candidates:
        clash = next((f for f, v in unique(item).items() if v in holding.get(f, set())), None)
        if clash is None:
            fresh.append((index, item))
        else:
            refused[index] = failed(index, taken(clash))
    return fresh, refused


def first_of_each(
    candidates: Sequence[tuple[int, T]], unique: Callable[[T], Mapping[str, str]]
) -> tuple[list[tuple[int, T]], dict[int, ItemResult]]:
    """The candidates none of whose unique values (field -> value) an earlier item of the request has, and the
    others failed with BIZ_002 naming the field and the earlier item."""
    first: dict[tuple[str, str], int] = {}
    kept: list[tuple[int, T]] = []
    refused: dict[int, ItemResult] = {}
    for index, item in candidates:
        values = unique(item)
        repeated = next(((f, first[(f, v)]) for f, v in values.items() if (f, v) in first), None)
        if repeated is not None:
            field, earlier = repeated
            error = Conflict(f"The {field} is also item {earlier}'s", details={"field": field, "reason": "is repeated"})
            refused[index] = failed(index, error)
            continue
        first.update(((f, v), index) for f, v in values.items())
        kept.append((index, item))
    return kept, refused


class Versioned(Protocol):
    """A stored entity or a change to one: its id and version."""

    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...


E = TypeVar("E", bound=Versioned)
C = TypeVar("C", bound=Versioned)
U = TypeVar("U", bound=Transaction)


class Identified(Protocol):
    """A new row: its id."""

    @property
    def id(self) -> UUID: ...


N = TypeVar("N", bound=Identified)


def create_batch(
    items: Sequence[I | AppError],
    build: Callable[[I], N],
    unique: Callable[[N], Mapping[str, str]],
    *,
    unit_of_work: Callable[[], U],
    held: Callable[[U, Mapping[str, list[str]]], Mapping[str, set[str]]],
    add_many: Callable[[U, list[N]], None],
    created: Callable[[], None],
) -> list[ItemResult]:
    """A batch creation: each item built (``admitted``: the invalid ones and repeats fail), the ones none of whose
    unique values another row holds (``held``, by field) inserted with ``add_many`` in one unit of work, checked
    and done once more when a concurrent writer took a value (``retrying``); ``created()`` after the work when
    there was any. Results in input order."""
    check_item_count(len(items))
    candidates, results = admitted(items, build, unique)

    def insert() -> dict[int, ItemResult]:
        with unit_of_work() as uow:
            fresh, outcome = split_fresh(candidates, unique, lambda wanted: held(uow, wanted))
            add_many(uow, [row for _, row in fresh])
            uow.commit()
        return {**outcome, **{i: ItemResult(i, "created", row.id) for i, row in fresh}}

    if candidates:
        results.update(retrying(insert))
        created()
    return [results[i] for i in range(len(items))]


def update_batch(
    items: Sequence[I | AppError],
    check: Callable[[I], C],
    *,
    unit_of_work: Callable[[], U],
    judge: Callable[[U, list[tuple[int, C]]], tuple[dict[int, ItemResult], list[tuple[E, int]]]],
    update_many: Callable[[U, list[tuple[E, int]]], None],
    updated: Callable[[list[UUID]], None],
) -> list[ItemResult]:
    """A bulk update: each change checked (``admitted``: the invalid ones and repeated ids fail), judged against
    its row read in the unit of work (``judge``: ``judge_updates`` with the resource's rules) and the new versions
    written with ``update_many``, done once more when a concurrent writer took a unique value (``retrying``);
    ``updated(ids of the rows updated)`` after the work when there was any. Results in input order."""
    check_item_count(len(items))
    changes, results = admitted(items, check, lambda change: {"id": str(change.id)})

    def apply() -> dict[int, ItemResult]:
        with unit_of_work() as uow:
            outcome, writes = judge(uow, changes)
            update_many(uow, writes)
            uow.commit()
        return outcome

    if changes:
        outcome = retrying(apply)
        results.update(outcome)
        updated([r.id for r in outcome.values() if r.status == "updated" and r.id is not None])
    return [results[i] for i in range(len(items))]


@dataclass(frozen=True, slots=True)
class UpdateRules(Generic[E, C]):
    """What judging a bulk update needs to know of one entity: how a change applies (ValidationFailed when it
    breaks a rule), its unique values (field -> value), which of some values other rows hold (by field), the
    errors of a missing row and of a stale version. ``revise`` raises an AppError for a change it refuses."""

    revise: Callable[[E, C], E]
    unique: Callable[[E], Mapping[str, str]]
    held: Callable[[Mapping[str, list[str]]], Mapping[str, set[str]]]
    missing: Callable[[], AppError]
    stale: Callable[[int], AppError]


def judge_updates(
    changes: Sequence[tuple[int, C]], current: Mapping[UUID, E], rules: UpdateRules[E, C]
) -> tuple[dict[int, ItemResult], list[tuple[E, int]]]:
    """Each change's outcome against the current rows (read FOR UPDATE), and the new versions to write with the
    versions they replace: ``updated``, ``conflict`` (stale version), or ``failed`` (missing, invalid, a unique
    value another row holds or an earlier change of the request takes); every outcome names the change's id."""
    outcome: dict[int, ItemResult] = {}
    revised: list[tuple[int, E, E]] = []
    for index, change in changes:
        row = current.get(change.id)
        if row is None:
            outcome[index] = failed(index, rules.missing(), change.id)
        elif row.version != change.version:
            outcome[index] = ItemResult(index, "conflict", row.id, rules.stale(row.version))
        else:
            try:
                revised.append((index, row, rules.revise(row, change)))
            except AppError as refused:  # a broken rule, or a change the row's state refuses
                outcome[index] = failed(index, refused, change.id)
    moved: dict[str, list[str]] = {}
    for _, old, new in revised:
        before = rules.unique(old)
        for field, value in rules.unique(new).items():
            if value != before[field]:
                moved.setdefault(field, []).append(value)
    held = rules.held(moved) if moved else {}
    claimed: set[tuple[str, str]] = set()
    writes: list[tuple[E, int]] = []
    for index, old, new in revised:
        before, after = rules.unique(old), rules.unique(new)
        changed = [(f, v) for f, v in after.items() if v != before[f]]
        clash = next((f for f, v in changed if v in held.get(f, set()) or (f, v) in claimed), None)
        if clash is not None:
            outcome[index] = failed(index, taken(clash), new.id)
            continue
        claimed.update(after.items())
        writes.append((new, old.version))
        outcome[index] = ItemResult(index, "updated", new.id)
    return outcome, writes


def retrying(work: Callable[[], R]) -> R:
    """``work`` run again once when a concurrent writer took a unique value between its check and its write
    (BIZ_002 from the write: the second run's check sees the value taken and reports it per item)."""
    for attempt in range(ATTEMPTS):
        try:
            return work()
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_item_count(count: int) -> None:
    """VAL_003 unless a request holds 1..BATCH_MAX items."""
    if not 1 <= count <= BATCH_MAX:
        raise ValidationFailed.single("items", ErrorCode.OUT_OF_RANGE, f"must hold 1 to {BATCH_MAX} items")


@dataclass(frozen=True, slots=True)
class SyncPage(Generic[T]):
    """One page of changes: the rows (live or deleted), whether more are waiting, where the next page starts."""

    items: list[T]
    limit: int
    has_next: bool
    next_cursor: str | None


def sync_listing(tenant_id: UUID, resource: str) -> Listing:
    """The cursor codec of one tenant's sync of ``resource``."""
    return Listing(fingerprint(tenant_id, "updated_at", "asc", {"sync": resource}), SortKind.TIMESTAMP)


def sync_page(
    listing: Listing,
    cursor: str | None,
    limit: int,
    now: datetime,
    lag_seconds: float,
    read: Callable[[Keyset | None, datetime, int], list[T]],
    keyset_of: Callable[[T], Keyset],
) -> SyncPage[T]:
    """The page of changes after ``cursor`` up to the horizon ``now - lag_seconds``; ``read(after, horizon, n)``
    answers up to ``n`` rows in (UPDATED_AT, ID) order."""
    if not 1 <= limit <= SYNC_LIMIT_MAX:
        raise ValidationFailed.single("limit", ErrorCode.OUT_OF_RANGE, f"must be 1 to {SYNC_LIMIT_MAX}")
    after = listing.after(cursor)
    rows = read(after, now - timedelta(seconds=lag_seconds), limit + 1)
    items = rows[:limit]
    next_cursor = listing.cursor(keyset_of(items[-1])) if items else None
    return SyncPage(items, limit, has_next=len(rows) > limit, next_cursor=next_cursor)
