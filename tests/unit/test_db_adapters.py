"""Driver errors -> contract errors, and the Oracle pool settings, without a server."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from storefront.adapters.db.engine import build_engine, oracle_pool_params
from storefront.adapters.db.errors import driver_code, translate, translated_errors
from storefront.config import DatabaseSettings
from storefront.domain.errors import AppError, Conflict, ServiceUnavailable, Timeout, ValidationFailed


class OracleError(Exception):
    """Shaped like python-oracledb's errors: args[0] has full_code."""

    def __init__(self, full_code: str) -> None:
        super().__init__(SimpleNamespace(full_code=full_code, message=f"{full_code}: secret details"))


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("pg details")
        self.sqlstate = sqlstate


def sqlite_error(name: str) -> sqlite3.Error:
    error = sqlite3.OperationalError("sqlite details")
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(
    ("wrapper", "orig", "expected"),
    [
        (sa_exc.IntegrityError, OracleError("ORA-00001"), Conflict),
        (sa_exc.IntegrityError, PgError("23505"), Conflict),
        (sa_exc.IntegrityError, sqlite_error("SQLITE_CONSTRAINT_UNIQUE"), Conflict),
        (sa_exc.OperationalError, OracleError("ORA-00054"), Timeout),
        (sa_exc.OperationalError, OracleError("ORA-30006"), Timeout),
        (sa_exc.OperationalError, PgError("55P03"), Timeout),
        (sa_exc.OperationalError, sqlite_error("SQLITE_BUSY"), Timeout),
        (sa_exc.OperationalError, OracleError("ORA-03113"), ServiceUnavailable),
        (sa_exc.OperationalError, OracleError("DPY-6005"), ServiceUnavailable),
        (sa_exc.OperationalError, PgError("08006"), ServiceUnavailable),
        (sa_exc.OperationalError, Exception("connection refused"), ServiceUnavailable),
        (sa_exc.InterfaceError, Exception("closed"), ServiceUnavailable),
        (sa_exc.DatabaseError, OracleError("ORA-12899"), ValidationFailed),
        (sa_exc.DatabaseError, OracleError("ORA-00942"), AppError),
    ],
)
def test_driver_errors_map_to_contract_errors(wrapper, orig, expected):
    translated = translate(wrapper("SELECT secret FROM x", {}, orig))
    assert type(translated) is expected
    assert "secret" not in translated.message
    assert "SELECT" not in translated.message


def test_driver_codes_are_read_from_each_driver():
    assert driver_code(sa_exc.DBAPIError("s", {}, OracleError("ORA-00001"))) == "ORA-00001"
    assert driver_code(sa_exc.DBAPIError("s", {}, PgError("23505"))) == "23505"
    assert driver_code(sa_exc.DBAPIError("s", {}, sqlite_error("SQLITE_BUSY"))) == "SQLITE_BUSY"


def test_translated_errors_raise_the_contract_error_and_keep_the_cause():
    with pytest.raises(Conflict) as raised, translated_errors():
        raise sa_exc.IntegrityError("INSERT", {}, OracleError("ORA-00001"))
    assert isinstance(raised.value.__cause__, sa_exc.IntegrityError)
    with pytest.raises(ServiceUnavailable), translated_errors():
        raise sa_exc.TimeoutError("QueuePool limit reached")


def settings(**values: object) -> DatabaseSettings:
    return DatabaseSettings(database_url="oracle+oracledb://u:p@db:1522/?service_name=SVC", **values)  # type: ignore[arg-type]


def test_oracle_pool_parameters():
    params = oracle_pool_params(
        make_url("oracle+oracledb://app:pw@db.internal:1522/?service_name=SVC"), settings(db_pool_max=8)
    )
    assert params["dsn"] == "db.internal:1522/SVC"
    assert (params["user"], params["password"], params["min"], params["max"], params["increment"]) == (
        "app",
        "pw",
        1,
        8,
        1,
    )
    assert params["wait_timeout"] == 5000
    assert params["ping_interval"] == 60
    assert "cclass" not in params


def test_oracle_pool_with_drcp():
    params = oracle_pool_params(
        make_url("oracle+oracledb://app:pw@db/ORCL"), settings(db_drcp=True, db_drcp_class="SF")
    )
    assert params["dsn"] == "db:1521/ORCL:pooled"
    assert (params["cclass"], params["purity"]) == ("SF", "SELF")


def test_sqlite_and_postgresql_engines_are_chosen_by_url(tmp_path):
    sqlite_engine = build_engine(f"sqlite:///{tmp_path / 'x.db'}", settings())
    assert sqlite_engine.dialect.name == "sqlite"
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    postgres = build_engine("postgresql+psycopg://u@127.0.0.1:1/db", settings(db_pool_max=3))
    assert postgres.dialect.name == "postgresql"
    assert cast(QueuePool, postgres.pool).size() == 3


class DriverConnection:
    """The two members of a python-oracledb connection that the dialect's rollback reads."""

    def __init__(self, transaction_in_progress: bool) -> None:
        self.transaction_in_progress = transaction_in_progress
        self.rollbacks = 0

    def rollback(self) -> None:
        self.rollbacks += 1


@pytest.mark.parametrize(("open_transaction", "rollbacks"), [(False, 0), (True, 1)])
def test_oracle_rolls_back_only_an_open_transaction(open_transaction, rollbacks):
    from storefront.adapters.db.oracle_dialect import OracleDialect

    connection = DriverConnection(open_transaction)
    OracleDialect().do_rollback(connection)
    assert connection.rollbacks == rollbacks


def test_the_oracle_url_of_the_engine_selects_that_dialect():
    from sqlalchemy import create_engine

    from storefront.adapters.db.oracle_dialect import DRIVER_NAME, OracleDialect

    assert isinstance(create_engine(f"{DRIVER_NAME}://u:p@h/?service_name=S").dialect, OracleDialect)
