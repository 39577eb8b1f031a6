"""The rows of an entity table that is listed and searched (products, users): what their repositories share,
one row at a time and in bulk (the bulk statements are ``bulk.py``'s)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Column, ColumnElement, Select, insert, select, update

from storefront.adapters.db.bulk import (
    IMMUTABLE,
    bulk_update_row,
    bulk_update_statement,
    changes_statement,
    many_statement,
    taken_statement,
)
from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.lists import EntityList, ListQuery, SearchTermsKeeper
from storefront.adapters.db.statements import Statements
from storefront.application.bulk import IN_LIST_MAX, WRITE_CHUNK, chunks
from storefront.application.queries import Keyset, Window
from storefront.domain.errors import Conflict

T = TypeVar("T")


class EntityRows(Generic[T]):
    """The reads and writes of one entity (``T``: Product, User) whose rows are soft-deleted, versioned and found
    by search terms: one row at a time and in bulk, each keeping the search terms current."""

    def __init__(
        self,
        statements: Statements,
        lists: EntityList,
        to_row: Callable[[T], dict[str, Any]],
        from_row: Callable[[Any], T],
        terms_of: Callable[[T], tuple[str, ...]],
    ) -> None:
        self._statements, self._lists, self._terms = statements, lists, SearchTermsKeeper(statements, lists)
        self._to_row, self._from_row, self._terms_of = to_row, from_row, terms_of

    def add(self, item: T) -> None:
        """Insert a new row and its search terms (BIZ_002 when a unique value is taken)."""
        row = self._to_row(item)
        with translated_errors():
            self._statements.write(insert(self._lists.table).values(**row))
            self._terms.added(row["TENANT_ID"], row["ID"], row["CREATED_AT"], self._terms_of(item))

    def get(self, tenant_id: UUID, item_id: UUID) -> T | None:
        """The tenant's live row with this id, or None."""
        table = self._lists.table
        return self.one(select(table).where(table.c.ID == item_id, self._lists.live(tenant_id)))

    def one(self, statement: Select[Any]) -> T | None:
        """The entity in the first row ``statement`` reads, or None (its search terms remembered)."""
        with translated_errors():
            row = self._statements.read(statement).first()
        if row is None:
            return None
        item = self._from_row(row)
        self._terms.seen(row.ID, self._terms_of(item))
        return item

    def search(
        self,
        tenant_id: UUID,
        query: ListQuery,
        column_filters: Sequence[ColumnElement[bool]],
        after: Keyset | None = None,
        *,
        known_matches: int | None = None,
    ) -> Window[T]:
        """Up to ``query.limit + 1`` of the tenant's live rows matching the query (and ``column_filters``) in its
        order, after ``after`` (else at ``query.offset``), and how many match (``EntityList.read``)."""
        with translated_errors():
            rows, matches = self._lists.read(
                self._statements, tenant_id, query, column_filters, after, known_matches=known_matches
            )
        return Window([self._from_row(r) for r in rows], matches)

    def update(self, item: T, expected_version: int) -> bool:
        """Write ``item`` if its stored row is live and still at ``expected_version`` (and its search terms when
        they changed); False otherwise."""
        row = self._to_row(item)
        table = self._lists.table
        statement = (
            update(table)
            .where(table.c.ID == row["ID"], table.c.VERSION == expected_version, self._lists.live(row["TENANT_ID"]))
            .values(**{name: value for name, value in row.items() if name not in IMMUTABLE})
        )
        with translated_errors():
            if self._statements.write(statement).rowcount != 1:
                return False
            self._terms.updated(row["TENANT_ID"], row["ID"], row["CREATED_AT"], self._terms_of(item))
        return True

    def taken(self, column: Column[Any], tenant_id: UUID, values: Sequence[Any]) -> set[Any]:
        """Which of ``values`` a row of the tenant holds in ``column`` (deleted rows too)."""
        found: set[Any] = set()
        with translated_errors():
            for chunk in chunks(sorted(set(values)), IN_LIST_MAX):
                found.update(self._statements.read(taken_statement(column, tenant_id, chunk)).scalars())
        return found

    def add_many(self, items: Sequence[T]) -> None:
        """Insert new rows and their search terms (BIZ_002 when a unique value is taken: none is inserted)."""
        rows = [self._to_row(item) for item in items]
        with translated_errors():
            self._statements.insert_many(self._lists.table, rows)
            self._terms.added_many(
                [
                    (r["TENANT_ID"], r["ID"], r["CREATED_AT"], self._terms_of(i))
                    for r, i in zip(rows, items, strict=True)
                ]
            )

    def get_many(self, tenant_id: UUID, ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, T]:
        """The tenant's live rows among ``ids``, by id; with ``lock`` FOR UPDATE, in id order (two bulk updates
        sharing rows lock them in the same order: no deadlock)."""
        found: dict[UUID, T] = {}
        run = self._statements.write if lock else self._statements.read
        with translated_errors():
            for chunk in chunks(sorted(set(ids), key=str), IN_LIST_MAX):
                for row in run(many_statement(self._lists, tenant_id, chunk, lock=lock)):
                    item = self._from_row(row)
                    self._terms.seen(row.ID, self._terms_of(item))
                    found[row.ID] = item
        return found

    def update_many(self, changes: Sequence[tuple[T, int]]) -> None:
        """Write each row at the version paired with it, and the search terms that changed; BIZ_002 unless every
        row was written."""
        rows = [(self._to_row(item), version, item) for item, version in changes]
        statement = bulk_update_statement(self._lists.table)
        with translated_errors():
            written = 0
            for chunk in chunks(rows, WRITE_CHUNK):
                written += self._statements.write(statement, [bulk_update_row(r, v) for r, v, _ in chunk]).rowcount
            if written != len(rows):
                raise Conflict("Version conflict")
            self._terms.updated_many(
                [(r["TENANT_ID"], r["ID"], r["CREATED_AT"], self._terms_of(i)) for r, _, i in rows]
            )

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[T]:
        """Up to ``limit`` rows changed after ``after`` up to ``until``, deleted ones too, oldest change first."""
        with translated_errors():
            rows = self._statements.read(changes_statement(self._lists.table, tenant_id, after, until, limit)).all()
        return [self._from_row(r) for r in rows]
