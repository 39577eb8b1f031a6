"""Driver errors translated into the contract's codes; the driver's text only ever goes to the log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from storefront.domain.errors import AppError, Conflict, ErrorCode, ServiceUnavailable, Timeout, ValidationFailed
from storefront.observability import logger

# Oracle (ORA-/DPY-), PostgreSQL (SQLSTATE) and SQLite (extended result names) codes by what they mean.
UNIQUE_VIOLATION = frozenset({"ORA-00001", "23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
LOCK_TIMEOUT = frozenset(
    {"ORA-00054", "ORA-30006", "ORA-04021", "DPY-4024", "55P03", "57014", "SQLITE_BUSY", "SQLITE_LOCKED"}
)
VALUE_TOO_LARGE = frozenset({"ORA-12899", "ORA-01438", "22001", "22003"})
CONNECTION_LOST = frozenset(
    {
        "ORA-03113",
        "ORA-03114",
        "ORA-03135",
        "ORA-12170",
        "ORA-12514",
        "ORA-12541",
        "ORA-12543",
        "DPY-4011",
        "DPY-6005",
        "DPY-4005",
        "DPY-6000",
        "DPY-6001",
        "08000",
        "08001",
        "08003",
        "08004",
        "08006",
        "57P01",
        "57P03",
        "SQLITE_CANTOPEN",
    }
)


def driver_code(error: sa_exc.DBAPIError) -> str:
    """The driver's own error code: ORA-/DPY- for oracledb, SQLSTATE for psycopg, the result name for sqlite3."""
    orig = error.orig
    full_code = getattr(orig.args[0], "full_code", None) if orig is not None and orig.args else None
    if full_code:
        return str(full_code)
    for attribute in ("sqlstate", "sqlite_errorname"):
        value = getattr(orig, attribute, None)
        if value:
            return str(value)
    return ""


def translate(error: sa_exc.DBAPIError) -> AppError:
    """The contract error that stands for a database failure."""
    code = driver_code(error)
    if code in UNIQUE_VIOLATION:
        return Conflict("The resource already exists", details={"reason": "a unique field is already taken"})
    if code in LOCK_TIMEOUT:
        return Timeout("The database did not answer in time")
    if code in VALUE_TOO_LARGE:
        return ValidationFailed.single("body", ErrorCode.OUT_OF_RANGE, "a value is too large for its field")
    if code in CONNECTION_LOST or error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return ServiceUnavailable("The database is unavailable")
    if isinstance(error, sa_exc.OperationalError) and not code:
        return ServiceUnavailable("The database is unavailable")
    return AppError()


@contextmanager
def translated_errors() -> Iterator[None]:
    """Run a block of database work, turning driver errors into contract errors (logged in full)."""
    try:
        yield
    except sa_exc.DBAPIError as error:
        translated = translate(error)
        logger.warning(
            "database error",
            extra={
                "driver_code": driver_code(error),
                "error_code": translated.code.value,
                "driver_error": str(error.orig),
            },
        )
        raise translated from error
    except sa_exc.TimeoutError as error:  # the connection pool had no connection to give in time
        logger.warning("database pool exhausted", extra={"error": str(error)})
        raise ServiceUnavailable("The database is busy") from error
