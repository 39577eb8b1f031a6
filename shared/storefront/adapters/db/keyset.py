"""Keyset paging in SQL for any table: the order, the "after this row" predicate and the capped count.

A list is ordered by (sort key, id), both in the direction the client asked for, so one index on
(TENANT_ID, key, ID) serves ascending and descending pages. The next page starts after the last row
seen: ``(key, id) > (:key, :id)`` (``<`` when descending), which PostgreSQL and SQLite evaluate as one
index range. Oracle compares row values only with = and <>, so there it is spelled
``key >= :key AND (key > :key OR id > :id)``, whose first term is still the index range.

A sort key that may be NULL (a user's ``last_login_at``) sorts NULL as the lowest value: first in ascending
order, last in descending, so the two orders stay exact reverses of each other. Backends disagree on where
NULL goes (PostgreSQL and Oracle put it last in an ascending index, SQLite first), and a row value with a
NULL in it compares as unknown, so such a list is read as two index ranges of the same index, one for the
rows with a value and one for the rows without (``nullable_window``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, func, literal, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.visitors import InternalTraversal

from storefront.application.queries import TOTAL_CAP, Keyset, SortOrder


class After(ColumnElement[bool]):
    """True for rows after ``(key, tiebreak) = (key_value, tiebreak_value)`` in the list's order."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" appended where booleans are not native
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol reads this class attribute
        ("sort_column", InternalTraversal.dp_clauseelement),
        ("tiebreak_column", InternalTraversal.dp_clauseelement),
        ("sort_value", InternalTraversal.dp_clauseelement),
        ("tiebreak_value", InternalTraversal.dp_clauseelement),
        ("operator", InternalTraversal.dp_string),
    ]

    def __init__(self, key: ColumnElement[Any], tiebreak: ColumnElement[Any], keyset: Keyset, order: SortOrder):
        self.sort_column = key
        self.tiebreak_column = tiebreak
        self.sort_value = literal(keyset.value, key.type)
        self.tiebreak_value = literal(keyset.id, tiebreak.type)
        self.operator = ">" if order == "asc" else "<"


@compiles(After)
def _after_spelled_out(element: After, compiler: SQLCompiler, **kw: Any) -> str:
    key, value = compiler.process(element.sort_column, **kw), compiler.process(element.sort_value, **kw)
    tiebreak, tiebreak_value = (
        compiler.process(element.tiebreak_column, **kw),
        compiler.process(element.tiebreak_value, **kw),
    )
    op = element.operator
    return f"({key} {op}= {value} AND ({key} {op} {value} OR {tiebreak} {op} {tiebreak_value}))"


@compiles(After, "postgresql")
@compiles(After, "sqlite")
def _after_row_value(element: After, compiler: SQLCompiler, **kw: Any) -> str:
    key, value = compiler.process(element.sort_column, **kw), compiler.process(element.sort_value, **kw)
    tiebreak, tiebreak_value = (
        compiler.process(element.tiebreak_column, **kw),
        compiler.process(element.tiebreak_value, **kw),
    )
    return f"(({key}, {tiebreak}) {element.operator} ({value}, {tiebreak_value}))"


def ordering(key: ColumnElement[Any], tiebreak: ColumnElement[Any], order: SortOrder) -> list[UnaryExpression[Any]]:
    """ORDER BY key, tiebreak, both in the list's direction."""
    if order == "asc":
        return [key.asc(), tiebreak.asc()]
    return [key.desc(), tiebreak.desc()]


def window(
    columns: Any,
    where: list[ColumnElement[bool]],
    key: ColumnElement[Any],
    tiebreak: ColumnElement[Any],
    order: SortOrder,
    limit: int,
    offset: int,
    after: Keyset | None,
) -> Select[Any]:
    """SELECT ``columns`` of one page plus one row (has_next), after a keyset or at an offset."""
    statement = select(*columns).where(*where).order_by(*ordering(key, tiebreak, order)).limit(limit + 1)
    if after is not None:
        return statement.where(After(key, tiebreak, after, order))
    return statement.offset(offset) if offset else statement


def nullable_window(
    columns: list[Any],
    extra: list[Any],
    where: list[ColumnElement[bool]],
    key: ColumnElement[Any],
    tiebreak: ColumnElement[Any],
    order: SortOrder,
    limit: int,
    offset: int,
    after: Keyset | None,
) -> Select[Any]:
    """``window`` for a sort key that may be NULL, which sorts as the lowest value (see the module docstring).

    The rows without a value (ordered by ``tiebreak``) come before the rows with one in ascending order and
    after them in descending order. Each part is its own index range, read no further than the page needs
    (``offset + limit + 1`` rows), the part wholly before the cursor not at all; the parts are joined with
    UNION ALL and ordered by part, key and tiebreak. ``columns`` are the table's, ``extra`` (the capped
    count) is added once to the joined rows.
    """
    take = limit + 1 + (offset if after is None else 0)
    empty: list[ColumnElement[bool]] = [*where, key.is_(None)]
    valued: list[ColumnElement[bool]] = [*where, key.is_not(None)]
    if after is not None and after.value is None:  # the cursor stands among the rows without a value
        last_id = literal(after.id, tiebreak.type)
        empty.append(tiebreak > last_id if order == "asc" else tiebreak < last_id)
    elif after is not None:
        valued.append(After(key, tiebreak, after, order))
    # The parts in list order; the part wholly before the cursor is not read.
    parts = [empty, valued] if order == "asc" else [valued, empty]
    if after is not None and (after.value is None) == (order == "desc"):
        parts = [valued] if order == "asc" else [empty]
    selects = []
    for rank, part_where in enumerate(parts):
        # Both parts are ordered by (key, tiebreak): among rows without a value that is the tiebreak's order,
        # and a planner that does not take IS NULL for a constant still sees that the index gives it.
        ranked = select(*columns, literal_column(str(rank)).label("LIST_PART")).where(*part_where)
        by = ordering(key, tiebreak, order)
        selects.append(select(ranked.order_by(*by).limit(take).subquery(f"PART_{rank}")))
    joined = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("PARTS")
    outer_key, outer_tiebreak = joined.c[key.name], joined.c[tiebreak.name]
    statement = (
        select(*(joined.c[c.name] for c in columns), *extra)
        .order_by(joined.c.LIST_PART, *ordering(outer_key, outer_tiebreak, order))
        .limit(limit + 1)
    )
    return statement.offset(offset) if offset and after is None else statement


def capped_count(matching: Select[Any]) -> Select[Any]:
    """SELECT how many rows ``matching`` returns, counting no further than TOTAL_CAP + 1: never a full count.

    ``matching`` should select one narrow non-null column an index holds, so the count is an index-only scan.
    """
    capped = matching.limit(TOTAL_CAP + 1).subquery("MATCHING")
    return select(func.count()).select_from(capped)
