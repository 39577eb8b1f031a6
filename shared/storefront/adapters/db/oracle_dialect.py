"""SQLAlchemy's python-oracledb dialect, minus the ROLLBACK round trip when no transaction is open.

SQLAlchemy calls the driver's ``rollback()`` whenever a connection is closed or goes back to the pool,
and python-oracledb's thin ``rollback()`` always sends a message to the server. Oracle reports in every
reply whether a transaction is open (``Connection.transaction_in_progress``), so a read-only unit of work
can skip that round trip safely; python-oracledb's own pool does the same check when a connection is
released.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb

DRIVER_NAME = "oracle+storefront_oracledb"


class OracleDialect(OracleDialect_oracledb):
    """python-oracledb without a rollback round trip on connections that have nothing to roll back."""

    def do_rollback(self, dbapi_connection: Any) -> None:
        if dbapi_connection.transaction_in_progress:
            dbapi_connection.rollback()


registry.register("oracle.storefront_oracledb", __name__, "OracleDialect")
