"""One engine per container, chosen by the database URL: Oracle (python-oracledb pool), PostgreSQL or SQLite.

No engine pings a connection when it is checked out (``pool_pre_ping`` would cost a round trip per unit
of work): the unit of work replaces a stale connection when its first statement finds it dead, and
python-oracledb's pool pings only connections idle for longer than ``DB_POOL_PING_INTERVAL``.
PostgreSQL connections stay in autocommit mode until a unit of work writes, so a read sends no BEGIN
and no ROLLBACK, and plan every statement for its actual parameters (see ``POSTGRES_SESSION_OPTIONS``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from storefront.config import DatabaseSettings

# psycopg prepares a statement on the server after its fifth run, and PostgreSQL's plan cache may then
# switch to one generic plan for every parameter value. Tenants differ in size by orders of magnitude, so
# a plan made without knowing the tenant walked the wrong index for the big ones (a search page went from
# 2.5 ms to 26 ms at a million rows). Custom plans keep the parse saved and plan for the tenant at hand;
# set as a startup option, it costs no round trip.
POSTGRES_SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def build_engine(url: str | URL, settings: DatabaseSettings) -> Engine:
    """An engine for ``url`` with the pool behaviour of ``settings``."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "oracle":
        return _oracle_engine(parsed, settings)
    if backend == "sqlite":
        return _sqlite_engine(parsed, settings)
    return create_engine(
        parsed,
        connect_args={"options": _postgres_options(parsed)},
        execution_options={"isolation_level": "AUTOCOMMIT"},
        pool_size=settings.db_pool_max,
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=settings.db_idle_timeout_seconds or -1,
    )


def _postgres_options(url: URL) -> str:
    """The URL's own ``options`` (a search_path, say) followed by ours: ``connect_args`` would replace them."""
    own = url.query.get("options")
    given = own if isinstance(own, str) else " ".join(own or ())
    return f"{given} {POSTGRES_SESSION_OPTIONS}".strip()


def oracle_pool_params(url: URL, settings: DatabaseSettings) -> dict[str, Any]:
    """The python-oracledb pool arguments for ``url`` (kept separate so they can be checked without a server)."""
    service = url.query.get("service_name") or url.database or ""
    dsn = f"{url.host}:{url.port or 1521}/{service}"
    params: dict[str, Any] = {
        "user": url.username,
        "password": url.password,
        "dsn": dsn + (":pooled" if settings.db_drcp else ""),
        "min": settings.db_pool_min,
        "max": settings.db_pool_max,
        "increment": settings.db_pool_increment,
        "ping_interval": settings.db_pool_ping_interval,
        "timeout": settings.db_idle_timeout_seconds,
        "wait_timeout": settings.db_pool_timeout_seconds * 1000,
        "tcp_connect_timeout": float(settings.db_pool_timeout_seconds),
    }
    if settings.db_drcp:
        params.update(cclass=settings.db_drcp_class, purity="SELF")
    return params


def _oracle_engine(url: URL, settings: DatabaseSettings) -> Engine:
    import oracledb

    from storefront.adapters.db.oracle_dialect import DRIVER_NAME

    params = oracle_pool_params(url, settings)
    if params.get("purity") == "SELF":
        params["purity"] = oracledb.PURITY_SELF
    pool = oracledb.create_pool(getmode=oracledb.POOL_GETMODE_TIMEDWAIT, **params)
    engine = create_engine(f"{DRIVER_NAME}://", creator=pool.acquire, poolclass=NullPool)
    _ORACLE_POOLS[engine] = pool

    @event.listens_for(engine, "connect")
    def _call_timeout(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.call_timeout = settings.db_call_timeout_ms

    return engine


def _sqlite_engine(url: URL, settings: DatabaseSettings) -> Engine:
    engine = create_engine(url, connect_args={"timeout": settings.db_pool_timeout_seconds, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if url.database and url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


# The python-oracledb pool behind each Oracle engine (SQLAlchemy's own pool is a NullPool there).
_ORACLE_POOLS: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """This container's database connections: in use, idle in the pool, and the most the pool opens."""

    in_use: int
    idle: int
    maximum: int


def pool_usage(engine: Engine) -> PoolUsage | None:
    """How much of ``engine``'s connection pool is in use; None for a pool that keeps no connections."""
    oracle = _ORACLE_POOLS.get(engine)
    if oracle is not None:
        return PoolUsage(in_use=oracle.busy, idle=oracle.opened - oracle.busy, maximum=oracle.max)
    pool: Any = engine.pool
    if not hasattr(pool, "checkedout"):
        return None
    overflow = max(getattr(pool, "_max_overflow", 0), 0)
    return PoolUsage(in_use=pool.checkedout(), idle=pool.checkedin(), maximum=pool.size() + overflow)
