"""A unit of work over one SQLAlchemy connection: reads cost one round trip, writes share one transaction.

Round trips are the cost that matters in a Lambda function next to its database, so the unit spends
none it does not need:

- no connection is checked out until the first statement, and none is pinged on checkout (no
  ``pool_pre_ping``): a stale pooled connection is detected by the first statement instead, and that
  statement is run again once on a fresh connection (nothing was done on the dead one);
- reads run without a transaction (PostgreSQL connections are in autocommit mode until the unit writes;
  Oracle and SQLite open no transaction for a SELECT), so a read is its SELECT and nothing else: no
  BEGIN, and no ROLLBACK when the connection goes back to the pool;
- the first write switches the connection to the engine's transactional isolation level, so every write
  of the unit and its ``commit`` form one transaction; leaving without ``commit`` rolls it back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, CursorResult, Engine, Executable, Table, insert
from sqlalchemy import exc as sa_exc

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.products import SqlProductRepository
from storefront.application.bulk import WRITE_CHUNK, chunks
from storefront.observability import logger

if TYPE_CHECKING:
    from storefront.adapters.db.notifications import SqlSentNotifications
    from storefront.adapters.db.orders import SqlOrderRepository
    from storefront.adapters.db.outbox import SqlOutbox
    from storefront.adapters.db.reports import SqlReportRepository
    from storefront.adapters.db.service_keys import SqlServiceKeys
    from storefront.adapters.db.sessions import SqlAuthEvents, SqlPasswordResets, SqlRefreshSessions
    from storefront.adapters.db.users import SqlUserRepository

AUTOCOMMIT = "AUTOCOMMIT"

# The engine makes PostgreSQL plan every statement for its parameters (engine.POSTGRES_SESSION_OPTIONS). A bulk load
# runs one foreign-key probe per row it inserts (a primary-key lookup, the same plan for every value), and with custom
# plans each probe is planned anew: 3,960 plans, half the time of the search terms' COPY of a 1000-product batch. The
# bulk load's transaction goes back to PostgreSQL's default for its remaining statements.
GENERIC_PLANS_FOR_BULK_LOAD = "SET LOCAL plan_cache_mode = auto"


class SqlUnitOfWork:
    """Reads outside a transaction; the first write begins one, rolled back on exit unless committed."""

    products: SqlProductRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._statements_run = 0
        self._writing = False
        self._committed = False
        self._generic_plans = False

    def __enter__(self) -> Self:
        self.products = SqlProductRepository(self)
        return self

    # The identity repositories are built on first use: a product function never imports them.
    @cached_property
    def users(self) -> SqlUserRepository:
        """The users of this unit of work."""
        from storefront.adapters.db.users import SqlUserRepository

        return SqlUserRepository(self)

    @cached_property
    def refresh_sessions(self) -> SqlRefreshSessions:
        """The refresh-token families of this unit of work."""
        from storefront.adapters.db.sessions import SqlRefreshSessions

        return SqlRefreshSessions(self)

    @cached_property
    def password_resets(self) -> SqlPasswordResets:
        """The password resets of this unit of work."""
        from storefront.adapters.db.sessions import SqlPasswordResets

        return SqlPasswordResets(self)

    @cached_property
    def auth_events(self) -> SqlAuthEvents:
        """The identity audit trail of this unit of work."""
        from storefront.adapters.db.sessions import SqlAuthEvents

        return SqlAuthEvents(self)

    # The order repositories are built on first use too: only the order functions import them.
    @cached_property
    def orders(self) -> SqlOrderRepository:
        """The orders of this unit of work (items, events and products read through one batching loader)."""
        from storefront.adapters.db.order_loader import OrderLoader
        from storefront.adapters.db.orders import SqlOrderRepository

        return SqlOrderRepository(self, OrderLoader(self))

    @cached_property
    def outbox(self) -> SqlOutbox:
        """The outbox of this unit of work: messages written in its transaction."""
        from storefront.adapters.db.outbox import SqlOutbox

        return SqlOutbox(self, self._engine.dialect.name)

    @cached_property
    def notifications_sent(self) -> SqlSentNotifications:
        """The notifications already sent, claimed in this unit's transaction."""
        from storefront.adapters.db.notifications import SqlSentNotifications

        return SqlSentNotifications(self)

    @cached_property
    def reports(self) -> SqlReportRepository:
        """The admin's aggregate figures, read by this unit of work."""
        from storefront.adapters.db.reports import SqlReportRepository

        return SqlReportRepository(self)

    @cached_property
    def service_keys(self) -> SqlServiceKeys:
        """The hashed service keys of this unit of work."""
        from storefront.adapters.db.service_keys import SqlServiceKeys

        return SqlServiceKeys(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._writing and not self._committed and connection.in_transaction():
                connection.rollback()
        except sa_exc.SQLAlchemyError:
            # The work was not committed either way; a lost connection must not hide the original error.
            logger.warning("rollback failed", exc_info=True)
        finally:
            connection.close()

    def read(self, statement: Executable) -> CursorResult[Any]:
        """Run a query; in autocommit mode until the unit writes."""
        return self._run(statement)

    def write(self, statement: Executable, rows: Sequence[Mapping[str, Any]] | None = None) -> CursorResult[Any]:
        """Run a change inside the unit's transaction (begun by the first write); ``rows``: once per row."""
        if not self._writing:
            self._writing = True
            if self._connection is not None:
                self._begin_transactions(self._connection)
        return self._run(statement, rows)

    def insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (each with the same columns) into ``table`` in the unit's transaction: on PostgreSQL with
        one COPY (its bulk load: about twice as fast as pipelined single-row INSERTs, the index upkeep being the
        rest), elsewhere as executemany in chunks of WRITE_CHUNK rows (python-oracledb array-binds each chunk in
        one call; SQLite runs them in process)."""
        if not rows:
            return
        if self._engine.dialect.name != "postgresql":
            for chunk in chunks(rows, WRITE_CHUNK):
                self.write(insert(table), list(chunk))
            return
        if not self._writing:  # as ``write`` does: this unit's transaction begins here
            self._writing = True
            if self._connection is not None:
                self._begin_transactions(self._connection)
        connection = self._connect()
        if not connection.in_transaction():
            connection.begin()  # nothing on the wire: psycopg sends BEGIN with the first statement; commit ends it
        columns = list(rows[0])
        names = ", ".join(f'"{name}"' for name in columns)
        # Each column with its bind processor (None: the value goes as it is), paired once for every row (the row
        # loop is a third of a 1000-product batch's own time; a generator zipped per row made it slower).
        steps = [(name, table.c[name].type.bind_processor(self._engine.dialect)) for name in columns]
        statement = f'COPY "{table.name}" ({names}) FROM STDIN'
        try:
            with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
                if not self._generic_plans:
                    self._statements_run += 1
                    cursor.execute(GENERIC_PLANS_FOR_BULK_LOAD)
                    self._generic_plans = True
                self._statements_run += 1
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(
                            [row[name] if process is None else process(row[name]) for name, process in steps]
                        )
        except self._engine.dialect.loaded_dbapi.Error as error:
            raise sa_exc.DBAPIError.instance(statement, None, error, self._engine.dialect.loaded_dbapi.Error) from None

    def commit(self) -> None:
        """Make the writes of this unit durable (nothing to do when it only read)."""
        if self._connection is None:
            if self._writing:
                raise RuntimeError("commit after the connection was lost")
            return
        with translated_errors():
            self._connection.commit()
        self._committed = True
        self._generic_plans = False  # SET LOCAL ended with the transaction

    def _run(self, statement: Executable, rows: Sequence[Mapping[str, Any]] | None = None) -> CursorResult[Any]:
        first = self._statements_run == 0
        self._statements_run += 1
        connection = self._connect()
        try:
            return connection.execute(statement, rows)
        except sa_exc.DBAPIError as error:
            if not (first and error.connection_invalidated):
                raise
        # The pooled connection had died (server restart, idle cut, failover). Nothing ran on it, so the
        # statement runs again, once, on a new one; SQLAlchemy has already dropped the stale pool.
        logger.info("stale database connection replaced")
        self._discard_connection()
        return self._connect().execute(statement, rows)

    def _connect(self) -> Connection:
        if self._connection is None:
            with translated_errors():
                connection = self._engine.connect()
            if self._writing:
                self._begin_transactions(connection)
            self._connection = connection
        return self._connection

    def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except sa_exc.SQLAlchemyError:
                logger.warning("closing a dead connection failed", exc_info=True)

    def _begin_transactions(self, connection: Connection) -> None:
        if self._engine.get_execution_options().get("isolation_level") == AUTOCOMMIT:
            # Nothing was begun on the wire in autocommit mode: this commit and the switch are local calls.
            connection.commit()
            connection.execution_options(isolation_level=connection.default_isolation_level)
