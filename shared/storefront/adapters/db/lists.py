"""Lists of an entity table, shared by every repository that lists: live rows of one tenant, filtered, searched
by whole words, sorted and paged, with the capped count of the matches.

An ``EntityList`` knows one table, its sort columns and its search terms table (``tables.search_terms_table``):

- **Filters** are the caller's (a repository turns its query's filters into WHERE terms on its own columns);
  the list adds the tenant, liveness (``DELETED_AT IS NULL``) and, for a search, the rows having every word.
- **Search**: a word is ``TERM = :w`` on the terms' primary key: one index range holding each row once,
  ordered by row id; further words join their own ranges on the row id. A search with no other filter is
  counted from the terms alone (they are the live rows' terms), never reading the entity table.
- **The walk**: a search's page in the default order (``created_at``) is read from one word's terms in that
  order (each term carries its row's immutable CREATED_AT): the longest word leads (longer words tend to be
  rarer), each other word is one primary-key probe, and the walk stops after a page of matches. A search of
  several words, or of a word and a filter, is counted first: words (or a word and a filter) that each match
  many rows but never meet would otherwise walk the lead word's whole range, reading each row, to find
  nothing (a million users, `q=ada&status=banned`: 0.5 s, where the count takes 47 ms).
- **Paging**: ``keyset.window`` (or ``keyset.nullable_window`` for a sort key that may be NULL), with the
  capped count as a scalar subquery of the same statement unless the count is already known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Row, Select, Table, and_, delete, exists, insert, select

from storefront.adapters.db.keyset import capped_count, nullable_window, window
from storefront.adapters.db.statements import Statements
from storefront.application.bulk import IN_LIST_MAX, chunks
from storefront.application.queries import Keyset, SortOrder

WALKED_SORT = "created_at"  # the list order a search page is read in from the terms' own index


class ListQuery(Protocol):
    """What every list query says about paging, order and search (ProductQuery, UserQuery)."""

    @property
    def limit(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def sort(self) -> str: ...

    @property
    def order(self) -> SortOrder: ...

    @property
    def words(self) -> tuple[str, ...]: ...


class EntityList:
    """The list statements of one entity table and the upkeep of its search terms."""

    def __init__(
        self,
        table: Table,
        terms: Table,
        owner: str,
        sorts: Mapping[str, ColumnElement[Any]],
        nullable_sorts: frozenset[str] = frozenset(),
    ) -> None:
        self.table = table
        self.terms = terms
        self.sorts = dict(sorts)
        self.nullable_sorts = nullable_sorts
        self.owner_id = terms.c[f"{owner}_ID"]
        self.owner_created_at = terms.c[f"{owner}_CREATED_AT"]

    def live(self, tenant_id: Any) -> ColumnElement[bool]:
        """The tenant's rows that are not soft-deleted."""
        return and_(self.table.c.TENANT_ID == tenant_id, self.table.c.DELETED_AT.is_(None))

    def ids_with_words(self, tenant_id: Any, words: tuple[str, ...]) -> Select[Any]:
        """SELECT the ids of the tenant's live rows having every one of ``words``, each once."""
        terms, owner = self.terms, self.owner_id
        first, *others = words
        found = select(owner).where(terms.c.TENANT_ID == tenant_id, terms.c.TERM == first)
        for n, word in enumerate(others):
            other = terms.alias(f"TERMS_{n}")
            found = found.join(
                other,
                and_(
                    other.c[owner.name] == owner,
                    other.c.TENANT_ID == tenant_id,
                    other.c.TERM == word,
                ),
            )
        return found

    def where(
        self, tenant_id: Any, words: tuple[str, ...], column_filters: Sequence[ColumnElement[bool]]
    ) -> list[ColumnElement[bool]]:
        """The WHERE terms of a list: tenant, liveness, the column filters and, for a search, its rows."""
        terms = [self.live(tenant_id), *column_filters]
        if words:
            terms.append(self.table.c.ID.in_(self.ids_with_words(tenant_id, words)))
        return terms

    def count_statement(
        self, tenant_id: Any, words: tuple[str, ...], column_filters: Sequence[ColumnElement[bool]]
    ) -> Select[Any]:
        """SELECT how many rows match, up to TOTAL_CAP + 1 (a search alone is counted from its terms)."""
        if words and not column_filters:
            return capped_count(self.ids_with_words(tenant_id, words))
        return capped_count(select(self.table.c.ID).where(*self.where(tenant_id, words, column_filters)))

    def page_statement(
        self,
        tenant_id: Any,
        query: ListQuery,
        column_filters: Sequence[ColumnElement[bool]],
        after: Keyset | None = None,
        *,
        counted: bool = True,
    ) -> Select[Any]:
        """SELECT one page plus one row and, when ``counted``, the capped count as MATCHES in the same round
        trip (a caller that already knows the count leaves it out)."""
        extra: list[Any] = []
        if counted:
            count = self.count_statement(tenant_id, query.words, column_filters)
            extra.append(count.scalar_subquery().label("MATCHES"))
        if query.words and query.sort == WALKED_SORT:
            return self._walk(tenant_id, query, column_filters, after, extra)
        where = self.where(tenant_id, query.words, column_filters)
        key, table = self.sorts[query.sort], self.table
        if query.sort in self.nullable_sorts:
            return nullable_window(
                list(table.c), extra, where, key, table.c.ID, query.order, query.limit, query.offset, after
            )
        columns = [*table.c, *extra]
        return window(columns, where, key, table.c.ID, query.order, query.limit, query.offset, after)

    def _walk(
        self,
        tenant_id: Any,
        query: ListQuery,
        column_filters: Sequence[ColumnElement[bool]],
        after: Keyset | None,
        extra: list[Any],
    ) -> Select[Any]:
        """A search's page in CREATED_AT order, read from the lead word's terms in that order (module docstring)."""
        lead = max(query.words, key=len)
        walked = self.terms.alias("LEAD_TERMS")
        owner = self.owner_id.name
        where: list[ColumnElement[bool]] = [walked.c.TENANT_ID == tenant_id, walked.c.TERM == lead]
        for n, word in enumerate(w for w in query.words if w != lead):
            other = self.terms.alias(f"OTHER_TERMS_{n}")
            where.append(
                exists().where(other.c.TENANT_ID == tenant_id, other.c.TERM == word, other.c[owner] == walked.c[owner])
            )
        where += [self.live(tenant_id), *column_filters]
        key, tiebreak = walked.c[self.owner_created_at.name], walked.c[owner]
        columns = [*self.table.c, *extra]
        statement = window(columns, where, key, tiebreak, query.order, query.limit, query.offset, after)
        return statement.select_from(walked.join(self.table, self.table.c.ID == walked.c[owner]))

    def read(
        self,
        statements: Statements,
        tenant_id: Any,
        query: ListQuery,
        column_filters: Sequence[ColumnElement[bool]],
        after: Keyset | None = None,
        *,
        known_matches: int | None = None,
    ) -> tuple[Sequence[Row[Any]], int]:
        """Up to ``query.limit + 1`` rows of the page and the capped count of the matches: one round trip when
        the count is known or fits in the page's statement; a search of several words, or of a word and a
        filter, is counted first."""
        if known_matches is None and (len(query.words) > 1 or (query.words and column_filters)):
            # Words that each match many rows may never meet; counting them first (two ordered index ranges
            # merged) is cheaper than a walk that finds nothing, and spares that walk.
            count = self.count_statement(tenant_id, query.words, column_filters)
            known_matches = int(statements.read(count).scalar_one())
            if known_matches == 0:
                return [], 0
        if known_matches is not None:
            page = self.page_statement(tenant_id, query, column_filters, after, counted=False)
            return statements.read(page).all(), known_matches
        rows = statements.read(self.page_statement(tenant_id, query, column_filters, after)).all()
        if rows:
            return rows, int(rows[0].MATCHES)
        if after is not None or query.offset:  # an empty page past the start says nothing about the count
            count = self.count_statement(tenant_id, query.words, column_filters)
            return rows, int(statements.read(count).scalar_one())
        return rows, 0


class SearchTermsKeeper:
    """Keeps one repository's search terms current: every add writes a row's terms, an update rewrites them
    only when they changed from what the repository last read or wrote (so an update that keeps the searched
    text costs no statement), a deleted row keeps none."""

    def __init__(self, statements: Statements, lists: EntityList) -> None:
        self._statements = statements
        self._lists = lists
        self._known: dict[Any, tuple[str, ...]] = {}

    def seen(self, owner_id: Any, terms: tuple[str, ...]) -> None:
        """Remember the terms of a row as it was read."""
        self._known[owner_id] = terms

    def added(self, tenant_id: Any, owner_id: Any, created_at: Any, terms: tuple[str, ...]) -> None:
        """Write the terms of a new row."""
        self._write(tenant_id, owner_id, created_at, terms, replace=False)

    def updated(self, tenant_id: Any, owner_id: Any, created_at: Any, terms: tuple[str, ...]) -> None:
        """Rewrite the terms of a changed row, unless they are the ones it had."""
        if self._known.get(owner_id) != terms:
            self._write(tenant_id, owner_id, created_at, terms, replace=True)

    def added_many(self, rows: Sequence[tuple[Any, Any, Any, tuple[str, ...]]]) -> None:
        """Write the terms of new rows, given as (tenant_id, owner_id, created_at, terms), in bulk statements."""
        self._write_many(rows, replaced=[])

    def updated_many(self, rows: Sequence[tuple[Any, Any, Any, tuple[str, ...]]]) -> None:
        """Rewrite the terms of changed rows whose terms changed, in bulk statements: one DELETE per chunk of
        rows, one INSERT per chunk of terms."""
        changed = [row for row in rows if self._known.get(row[1]) != row[3]]
        self._write_many(changed, replaced=changed)

    def _write_many(
        self, rows: Sequence[tuple[Any, Any, Any, tuple[str, ...]]], *, replaced: Sequence[tuple[Any, ...]]
    ) -> None:
        table = self._lists.terms
        owner, created = self._lists.owner_id.name, self._lists.owner_created_at.name
        by_tenant: dict[Any, list[Any]] = {}
        for tenant_id, owner_id, *_ in replaced:
            by_tenant.setdefault(tenant_id, []).append(owner_id)
        for tenant_id, owner_ids in by_tenant.items():
            for chunk in chunks(owner_ids, IN_LIST_MAX):
                self._statements.write(
                    delete(table).where(table.c.TENANT_ID == tenant_id, table.c[owner].in_(list(chunk)))
                )
        terms = [
            {"TENANT_ID": tenant_id, "TERM": term, owner: owner_id, created: created_at}
            for tenant_id, owner_id, created_at, words in rows
            for term in words
        ]
        self._statements.insert_many(table, terms)
        self._known.update((owner_id, words) for _, owner_id, _, words in rows)

    def _write(self, tenant_id: Any, owner_id: Any, created_at: Any, terms: tuple[str, ...], *, replace: bool) -> None:
        table = self._lists.terms
        owner, created = self._lists.owner_id.name, self._lists.owner_created_at.name
        if replace:
            self._statements.write(delete(table).where(table.c.TENANT_ID == tenant_id, table.c[owner] == owner_id))
        if terms:
            rows = [{"TENANT_ID": tenant_id, "TERM": t, owner: owner_id, created: created_at} for t in terms]
            self._statements.write(insert(table), rows)
        self._known[owner_id] = terms
