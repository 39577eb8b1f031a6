"""Bulk statements of an entity table, shared by the repositories the service routes use (products, users).

Inserts go through the unit of work's ``insert_many`` (PostgreSQL's COPY, executemany elsewhere); updates run
as executemany in chunks of WRITE_CHUNK rows (psycopg pipelines them, python-oracledb array-binds them); lookups
by many values use IN lists of at most IN_LIST_MAX values (Oracle's limit). A bulk update writes each row at its
expected version only while it is live; the rows were read FOR UPDATE first, so a row count short of the rows sent
means a writer outside the locks (BIZ_002, nothing kept).
The sync reads every row of a tenant, deleted ones too, in (UPDATED_AT, ID) order: one range of IX_<TABLE>_SYNC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Column, Select, Table, bindparam, select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.keyset import After, ordering
from storefront.adapters.db.lists import EntityList, SearchTermsKeeper
from storefront.adapters.db.statements import Statements
from storefront.application.bulk import IN_LIST_MAX, WRITE_CHUNK, chunks
from storefront.application.queries import Keyset
from storefront.domain.errors import Conflict

T = TypeVar("T")
IMMUTABLE = frozenset({"ID", "TENANT_ID", "CREATED_AT", "CREATED_BY"})


def bulk_update_statement(table: Table) -> Any:
    """UPDATE one live row at its expected version, every mutable column from a ``b_<column>`` bind parameter
    (executed once per row with ``bulk_update_row``)."""
    return (
        update(table)
        .where(
            table.c.ID == bindparam("b_id"),
            table.c.TENANT_ID == bindparam("b_tenant_id"),
            table.c.VERSION == bindparam("b_expected_version"),
            table.c.DELETED_AT.is_(None),
        )
        .values(**{c.name: bindparam(f"b_{c.name.lower()}") for c in table.c if c.name not in IMMUTABLE})
    )


def bulk_update_row(row: dict[str, Any], expected_version: int) -> dict[str, Any]:
    """The bind parameters of ``bulk_update_statement`` for one row's column values."""
    values = {f"b_{name.lower()}": value for name, value in row.items() if name not in IMMUTABLE}
    return {**values, "b_id": row["ID"], "b_tenant_id": row["TENANT_ID"], "b_expected_version": expected_version}


def changes_statement(table: Table, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> Select[Any]:
    """SELECT up to ``limit`` of the tenant's rows, deleted ones too, stamped at or before ``until``, in
    (UPDATED_AT, ID) order after ``after``."""
    key, tiebreak = table.c.UPDATED_AT, table.c.ID
    statement = select(table).where(table.c.TENANT_ID == tenant_id, key <= until)
    if after is not None:
        statement = statement.where(After(key, tiebreak, after, "asc"))
    return statement.order_by(*ordering(key, tiebreak, "asc")).limit(limit)


def taken_statement(column: Column[Any], tenant_id: UUID, values: Sequence[Any]) -> Select[Any]:
    """SELECT which of ``values`` (at most IN_LIST_MAX) a row of the tenant holds in ``column``, deleted ones too."""
    return select(column).where(column.table.c.TENANT_ID == tenant_id, column.in_(list(values)))


def many_statement(lists: EntityList, tenant_id: UUID, ids: Sequence[UUID], *, lock: bool = False) -> Select[Any]:
    """SELECT the tenant's live rows among ``ids`` (at most IN_LIST_MAX), FOR UPDATE with ``lock``."""
    statement = select(lists.table).where(lists.table.c.ID.in_(list(ids)), lists.live(tenant_id))
    return statement.with_for_update() if lock else statement


class BulkRows(Generic[T]):
    """The bulk reads and writes of one entity (``T``: Product, User) and the upkeep of its search terms."""

    def __init__(
        self,
        statements: Statements,
        lists: EntityList,
        terms: SearchTermsKeeper,
        to_row: Callable[[T], dict[str, Any]],
        from_row: Callable[[Any], T],
        terms_of: Callable[[T], tuple[str, ...]],
    ) -> None:
        self._statements, self._lists, self._terms = statements, lists, terms
        self._to_row, self._from_row, self._terms_of = to_row, from_row, terms_of

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
