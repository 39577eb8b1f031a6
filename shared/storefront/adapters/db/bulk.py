"""Bulk statements of an entity table, shared by the repositories the service routes use (products, users, orders).

Inserts go through the unit of work's ``insert_many`` (PostgreSQL's COPY, executemany elsewhere); updates run
as executemany in chunks of WRITE_CHUNK rows (psycopg pipelines them, python-oracledb array-binds them); lookups
by many values use IN lists of at most IN_LIST_MAX values (Oracle's limit). A bulk update writes each row at its
expected version only while it is live; the rows were read FOR UPDATE first, so a row count short of the rows sent
means a writer outside the locks (BIZ_002, nothing kept).
The sync reads every row of a tenant, deleted ones too, in (UPDATED_AT, ID) order: one range of IX_<TABLE>_SYNC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Select, Table, bindparam, select, update

from storefront.adapters.db.keyset import After, ordering
from storefront.adapters.db.lists import EntityList
from storefront.application.queries import Keyset

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
