"""A unit of work over one SQLAlchemy connection and transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.products import SqlProductRepository
from storefront.observability import logger


class SqlUnitOfWork:
    """Opens a transaction on enter; rolls it back on exit unless ``commit`` was called."""

    products: SqlProductRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        with translated_errors():
            self._connection = self._engine.connect()
            self._connection.begin()
        self.products = SqlProductRepository(self._connection)
        return self

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
            if connection.in_transaction():
                connection.rollback()
        except sa_exc.SQLAlchemyError:
            # The work was not committed either way; a lost connection must not hide the original error.
            logger.warning("rollback failed", exc_info=True)
        finally:
            connection.close()

    def commit(self) -> None:
        """Make the work of this unit durable."""
        if self._connection is None:
            raise RuntimeError("commit outside of the unit of work")
        with translated_errors():
            self._connection.commit()
