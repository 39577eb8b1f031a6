"""Flat records: a frozen dataclass per row of a table whose columns are the record's fields in capitals
(``token_hash`` -> ``TOKEN_HASH``), stored and read whole. The refresh tokens, password resets and service keys
are such rows; a table whose columns differ from its entity's fields maps them itself."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Executable, Table, insert

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.statements import Statements

R = TypeVar("R")


def row_of(record: Any) -> dict[str, Any]:
    """The columns of ``record``: each field's value under its name in capitals."""
    return {field.name.upper(): getattr(record, field.name) for field in fields(record)}


def record_of(kind: type[R], row: Any) -> R:
    """A ``kind`` made of a row whose columns are its fields in capitals."""
    return kind(**{field.name: getattr(row, field.name.upper()) for field in fields(kind)})  # type: ignore[arg-type]


def insert_record(statements: Statements, table: Table, record: Any) -> None:
    """INSERT ``record`` as one row of ``table`` (in the unit's transaction)."""
    with translated_errors():
        statements.write(insert(table).values(**row_of(record)))


def first_record(statements: Statements, kind: type[R], statement: Executable) -> R | None:
    """The first row ``statement`` reads, as a ``kind``; None when it reads none."""
    with translated_errors():
        row = statements.read(statement).first()
    return None if row is None else record_of(kind, row)
