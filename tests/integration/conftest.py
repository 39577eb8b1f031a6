"""Real servers: SQLite files, PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379), required, never skipped.
Oracle joins the same repository suite when ORACLE_DSN names one (a SQLAlchemy URL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from localdev.stack import free_port, migrate
from storefront.adapters.db.engine import build_engine
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.config import DatabaseSettings
from storefront.domain.identity import Principal, UserStatus
from storefront.domain.users import Identity, User

POSTGRES_URL = os.environ.get("STOREFRONT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("STOREFRONT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ORACLE_DSN = os.environ.get("ORACLE_DSN")
BACKENDS = ["sqlite", "postgresql", "oracle"]

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def database_settings(url: str) -> DatabaseSettings:
    return DatabaseSettings(database_url=url, db_pool_max=5, db_pool_min=1)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('db'), 'storefront.db')}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh schema in the test database, migrated; dropped afterwards."""
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as error:
        pytest.fail(f"PostgreSQL is required for the integration tests at {POSTGRES_URL}: {error.orig}")
    schema = f"storefront_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    migrate(url)
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def oracle_url() -> str:
    if not ORACLE_DSN:
        pytest.skip(
            "ORACLE_DSN is not set: no Oracle server on this machine (the Oracle dialect is checked by compiling)"
        )
    migrate(ORACLE_DSN)
    return ORACLE_DSN


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The same migrated schema on every backend."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    built = build_engine(url, database_settings(url))
    yield built
    built.dispose()


@pytest.fixture(scope="session")
def redis_client() -> Redis:
    client = Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except Exception as error:
        pytest.fail(f"Redis is required for the integration tests at {REDIS_URL}: {error}")
    return client


class RedisServer:
    """A redis-server of this test's own, so it can be killed and restarted."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is required (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except Exception:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


def stored_account(engine: Engine, principal: Principal, status: UserStatus = UserStatus.ACTIVE) -> Principal:
    """Store ``principal``'s account (once; an order needs its buyer's live account) and return the principal."""
    user_id = uuid.UUID(principal.user_id)
    with SqlUnitOfWork(engine) as uow:
        if uow.users.get(principal.tenant_id, user_id) is None:
            name = f"b{user_id.hex[:12]}"
            made = User.create(
                principal.tenant_id, Identity(f"{name}@example.com", name, "Bo Buyer"), "hash", None, NOW
            )
            uow.users.add(replace(made, id=user_id, status=status))
            uow.commit()
    return principal
