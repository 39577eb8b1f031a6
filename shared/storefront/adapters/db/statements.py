"""What a repository runs its statements through (the unit of work implements it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import CursorResult, Executable, Table


class Statements(Protocol):
    """Runs statements for a repository: reads outside a transaction, writes inside the unit's transaction."""

    def read(self, statement: Executable) -> CursorResult[Any]: ...

    def write(self, statement: Executable, rows: Sequence[Mapping[str, Any]] | None = None) -> CursorResult[Any]: ...

    def insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (each with the same columns) into ``table`` inside the unit's transaction, in bulk."""
        ...
