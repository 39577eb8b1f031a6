"""The composition root: the only module that builds concrete adapters.

Everything here is built on first use and kept for the life of the container, so a warm invocation
reuses the engine, the Redis client and the token secrets, and a function never imports an adapter it
does not use (imports sit inside the builders on purpose).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from storefront.application.ports import Cache, CatalogPorts, TokenVerifier
from storefront.config import CacheSettings, DatabaseSettings, TokenSettings, load

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL


@cache
def engine() -> Engine:
    """The database engine of this container."""
    from storefront.adapters.db.engine import build_engine

    settings = load(DatabaseSettings)
    if settings.database_url is not None:
        return build_engine(settings.database_url.get_secret_value(), settings)
    assert settings.database_secret_arn is not None  # guaranteed by DatabaseSettings
    return build_engine(url_from_secret(read_secret(settings.database_secret_arn)), settings)


def read_secret(arn: str) -> dict[str, Any]:
    """A JSON secret from Secrets Manager (boto3 is loaded only by functions configured this way)."""
    import boto3

    value = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    secret: dict[str, Any] = json.loads(value)
    return secret


def url_from_secret(secret: dict[str, Any]) -> URL:
    """An Oracle URL from a secret shaped {username, password, host, port, service_name}."""
    from sqlalchemy.engine import URL

    return URL.create(
        "oracle+oracledb",
        username=secret["username"],
        password=secret["password"],
        host=secret["host"],
        port=int(secret.get("port", 1521)),
        query={"service_name": secret.get("service_name") or secret["dbname"]},
    )


@cache
def cache_store() -> Cache:
    """The cache of this container: Redis when REDIS_URL is set, else one that always misses."""
    from storefront.adapters.cache.redis_cache import NoCache, RedisCache

    settings = load(CacheSettings)
    if settings.redis_url is None:
        return NoCache()
    from redis import Redis

    client = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
    )
    return RedisCache(client)


_provided: dict[str, Any] = {}


def provide(**adapters: Any) -> None:
    """Use these adapters instead of building them, e.g. ``provide(catalog=ports_with_fakes)`` in a test."""
    reset()
    _provided.update(adapters)


def catalog() -> CatalogPorts:
    """The ports of the product use cases."""
    provided: CatalogPorts | None = _provided.get("catalog")
    return provided if provided is not None else _catalog()


@cache
def _catalog() -> CatalogPorts:
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    db = engine()
    return CatalogPorts(
        unit_of_work=lambda: SqlUnitOfWork(db),
        cache=cache_store(),
        clock=SystemClock(),
        cache_ttl_seconds=load(CacheSettings).cache_ttl_seconds,
    )


def token_verifier() -> TokenVerifier:
    """The access-token verifier of this container."""
    provided: TokenVerifier | None = _provided.get("token_verifier")
    return provided if provided is not None else _token_verifier()


@cache
def _token_verifier() -> TokenVerifier:
    from storefront.adapters.tokens import JwtTokens

    settings = load(TokenSettings)
    return JwtTokens(
        {key: secret.get_secret_value() for key, secret in settings.jwt_secrets.items()},
        max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
    )


def reset() -> None:
    """Forget every built and provided adapter and every read setting (tests and local tools use this)."""
    _provided.clear()
    for builder in (engine, cache_store, _catalog, _token_verifier, load):
        builder.cache_clear()
