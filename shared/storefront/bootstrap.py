"""The composition root: the only module that builds concrete adapters.

Everything here is built on first use and kept for the life of the container, so a warm invocation
reuses the engine, the Redis client and the token secrets, and a function never imports an adapter it
does not use (imports sit inside the builders on purpose). The database engine is built when the first
unit of work is opened, not when the ports are assembled: a read answered from the cache on a fresh
container imports neither SQLAlchemy nor a database driver, and reads no secret.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from storefront import config
from storefront.application.ports import (
    AccessToken,
    AccessTokenIssuer,
    Cache,
    CatalogPorts,
    DeadLetters,
    HealthProbe,
    IdentityUnitOfWork,
    ListTotals,
    MessagePublisher,
    MetricSource,
    NotificationPorts,
    Notifier,
    OrderPorts,
    OrderUnitOfWork,
    PaymentGateway,
    RateLimiter,
    ReportPorts,
    ReportUnitOfWork,
    Revocations,
    SecretStore,
    ServiceKeyPorts,
    TokenVerifier,
    UnitOfWork,
    UserPorts,
)
from storefront.config import (
    AuthSettings,
    CacheSettings,
    ConfigurationError,
    DatabaseSettings,
    IssuerSettings,
    MailSettings,
    PaymentSettings,
    QueueSettings,
    ResetLinkSettings,
    TokenSettings,
    load,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from uuid import UUID

    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
    from redis import Redis
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

    from storefront.application.auth import AuthPolicy, AuthPorts
    from storefront.application.saga import SagaPorts
    from storefront.application.service_keys import ServiceKeyVerifier
    from storefront.domain.users import User


@cache
def engine() -> Engine:
    """The database engine of this container (its URL read from the secret when DATABASE_SECRET_ARN is set)."""
    from storefront.adapters.db.engine import build_engine

    settings = load(DatabaseSettings)
    if settings.database_url is not None:
        return build_engine(settings.database_url.get_secret_value(), settings)
    assert settings.database_secret_arn is not None  # guaranteed by DatabaseSettings
    return build_engine(url_from_secret(secret_store().json_secret(settings.database_secret_arn)), settings)


def secret_store() -> SecretStore:
    """Where secrets are read: the Parameters and Secrets Lambda Extension on localhost (no boto3)."""
    provided: SecretStore | None = _provided.get("secret_store")
    return provided if provided is not None else _secret_store()


@cache
def _secret_store() -> SecretStore:
    from storefront.adapters.secrets.extension import ParametersSecretsExtension

    settings = load(DatabaseSettings)
    return ParametersSecretsExtension(
        os.environ.get("AWS_SESSION_TOKEN", ""),
        port=settings.parameters_secrets_extension_http_port,
        timeout_seconds=float(settings.db_pool_timeout_seconds),
    )


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


def cache_store() -> Cache:
    """The cache of this container: Redis when REDIS_URL is set, else one that always misses."""
    provided: Cache | None = _provided.get("cache")
    return provided if provided is not None else _cache_store()


@cache
def _cache_store() -> Cache:
    client = _redis_client()
    if client is None:
        from storefront.adapters.cache.no_cache import NoCache

        return NoCache()
    from storefront.adapters.cache.redis_cache import RedisCache

    return RedisCache(client)


def list_totals() -> ListTotals:
    """The list totals memo of this container: Redis when REDIS_URL is set, else one that remembers nothing."""
    provided: ListTotals | None = _provided.get("totals")
    return provided if provided is not None else _list_totals()


@cache
def _list_totals() -> ListTotals:
    client = _redis_client()
    if client is None:
        from storefront.adapters.cache.no_cache import NoListTotals

        return NoListTotals()
    from storefront.adapters.cache.redis_totals import RedisListTotals

    return RedisListTotals(client, ttl_seconds=load(CacheSettings).cache_ttl_seconds)


def rate_limiter() -> RateLimiter:
    """The rate limiter of this container: Redis when REDIS_URL is set, else one that limits nothing."""
    provided: RateLimiter | None = _provided.get("rate_limiter")
    return provided if provided is not None else _rate_limiter()


@cache
def _rate_limiter() -> RateLimiter:
    client = _redis_client()
    if client is None:
        from storefront.adapters.cache.no_cache import NoRateLimiter

        return NoRateLimiter()
    from storefront.adapters.cache.rate_limiter import RedisRateLimiter

    return RedisRateLimiter(client)


def revocations() -> Revocations:
    """Where logout, ban and password reset record revocations: Redis (without REDIS_URL they fail, 503)."""
    provided: Revocations | None = _provided.get("revocations")
    return provided if provided is not None else _revocations()


@cache
def _revocations() -> Revocations:
    client = _redis_client()
    if client is None:
        from storefront.adapters.cache.no_cache import NoRevocations

        return NoRevocations()
    from storefront.adapters.cache.rate_limiter import RedisRevocations

    return RedisRevocations(client)


@cache
def _redis_client() -> Redis | None:
    """One Redis client per container (one connection pool for the cache, the totals and the rate limiter),
    or None."""
    settings = load(CacheSettings)
    if settings.redis_url is None:
        return None
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.maint_notifications import MaintNotificationsConfig
    from redis.retry import Retry

    # A new connection costs its TCP (and TLS) handshake and nothing more: RESP2 needs no HELLO, and no
    # CLIENT SETINFO or CLIENT MAINT_NOTIFICATIONS is sent (redis-py 8 would send all three, and a PING
    # before commands on an idle connection with a health-check interval). A connection that died while
    # the container was frozen fails its command, which is retried once, at once, on a new connection;
    # redis-py's default (10 retries with backoff up to 1 s) would hold a request for seconds while Redis
    # is unreachable, where the adapters should fall back to the database after one timeout.
    return Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        retry=Retry(NoBackoff(), REDIS_RETRIES),
        protocol=2,
        driver_info=None,
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )


REDIS_RETRIES = 1  # one immediate retry of a command whose connection failed
_provided: dict[str, Any] = {}


def provide(**adapters: Any) -> None:
    """Use these adapters instead of building them: ``catalog``, ``cache``, ``totals``, ``secret_store``,
    ``token_verifier``, ``rate_limiter``, ``revocations``, ``identity``, ``users``, ``notifier``, ``orders``,
    ``publisher``, ``dead_letters``, ``idempotency``, ``payments``, ``saga``, ``notifications``, ``reset_policy``,
    ``probes``, ``metric_sources``, ``reports``, ``service_keys`` (ServiceKeyPorts)."""
    reset()
    _provided.update(adapters)


def catalog() -> CatalogPorts:
    """The ports of the product use cases."""
    provided: CatalogPorts | None = _provided.get("catalog")
    return provided if provided is not None else _catalog()


@cache
def _catalog() -> CatalogPorts:
    from storefront.adapters.clock import SystemClock

    return CatalogPorts(
        unit_of_work=unit_of_work,
        cache=cache_store(),
        totals=list_totals(),
        clock=SystemClock(),
        cache_ttl_seconds=load(CacheSettings).cache_ttl_seconds,
    )


def unit_of_work() -> UnitOfWork:
    """A new unit of work on this container's database (the engine is built by the first one)."""
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    return SqlUnitOfWork(engine())


def identity_unit_of_work() -> IdentityUnitOfWork:
    """A new unit of work over the identity tables (the same transaction rules as ``unit_of_work``)."""
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    return SqlUnitOfWork(engine())


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


def service_key_ports() -> ServiceKeyPorts:
    """The ports of the service key use cases (making keys, checking them)."""
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    provided: ServiceKeyPorts | None = _provided.get("service_keys")
    if provided is not None:
        return provided
    return ServiceKeyPorts(unit_of_work=lambda: SqlUnitOfWork(engine()), clock=SystemClock())


@cache
def service_key_verifier() -> ServiceKeyVerifier:
    """The service key check of this container (it remembers valid keys for a minute)."""
    from storefront.application.service_keys import ServiceKeyVerifier

    return ServiceKeyVerifier(service_key_ports())


def identity() -> AuthPorts:
    """The ports of the authentication use cases."""
    provided: AuthPorts | None = _provided.get("identity")
    return provided if provided is not None else _identity()


def throttle_thresholds(settings: AuthSettings) -> dict[str, int]:
    """Failures before a lock, per kind of throttle key: an account's (logins, reset requests) or a client address's
    (logins, reset requests, reset tokens tried: a reset token names no account, so its key is the address alone,
    shared by everyone behind one NAT)."""
    return {
        "account": settings.login_failures_per_account,
        "ip": settings.login_failures_per_ip,
        "forgot": settings.login_failures_per_account,
        "forgot-ip": settings.login_failures_per_ip,
        "reset-ip": settings.login_failures_per_ip,
    }


@cache
def _identity() -> AuthPorts:
    from datetime import timedelta

    from storefront.adapters.cache.login_throttle import RedisLoginThrottle
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.passwords import Argon2Hasher
    from storefront.application.auth import AuthPolicy, AuthPorts

    settings = load(AuthSettings)
    client = _redis_client()
    if client is None:
        raise ConfigurationError("RedisRequiredSettings is invalid: REDIS_URL: required by the auth functions")
    return AuthPorts(
        unit_of_work=identity_unit_of_work,
        hasher=Argon2Hasher(),
        tokens=_SignerOnFirstUse(),
        revocations=revocations(),
        throttle=RedisLoginThrottle(
            client,
            thresholds=throttle_thresholds(settings),
            window_seconds=settings.login_failure_window_seconds,
            lock_seconds=settings.login_lock_seconds,
        ),
        clock=SystemClock(),
        totals=list_totals(),
        publisher=message_publisher(),
        policy=AuthPolicy(
            refresh_lifetime=timedelta(days=settings.refresh_token_days),
            reset_lifetime=timedelta(minutes=settings.reset_token_minutes),
            reset_link=settings.reset_link,
        ),
    )


class _SignerOnFirstUse:
    """The access-token issuer, built when a token is first issued: only login and refresh sign, so only
    they need JWT_SECRETS (register, logout and the reset functions never read it)."""

    def __init__(self) -> None:
        self._issuer: AccessTokenIssuer | None = None

    def issue(self, user: User, now: datetime, session_id: UUID) -> AccessToken:
        if self._issuer is None:
            from storefront.adapters.tokens import JwtAccessTokens, JwtTokens

            issuer, tokens = load(IssuerSettings), load(TokenSettings)
            if issuer.jwt_issuer not in tokens.jwt_secrets:
                raise ConfigurationError("IssuerSettings is invalid: JWT_ISSUER: names no key of JWT_SECRETS")
            signer = JwtTokens(
                {key: secret.get_secret_value() for key, secret in tokens.jwt_secrets.items()},
                max_lifetime_seconds=tokens.jwt_max_lifetime_seconds,
            )
            self._issuer = JwtAccessTokens(signer, issuer.jwt_issuer, issuer.access_token_seconds)
        return self._issuer.issue(user, now, session_id)


def users() -> UserPorts:
    """The ports of the users, profile and admin use cases (no password hashing, so no argon2)."""
    provided: UserPorts | None = _provided.get("users")
    return provided if provided is not None else _users()


@cache
def _users() -> UserPorts:
    from storefront.adapters.clock import SystemClock

    return UserPorts(
        unit_of_work=identity_unit_of_work,
        totals=list_totals(),
        revocations=revocations(),
        clock=SystemClock(),
    )


def notifier() -> Notifier:
    """Where emails go: files in the local run, Amazon SES in AWS (boto3 loads on the first send)."""
    provided: Notifier | None = _provided.get("notifier")
    return provided if provided is not None else _notifier()


@cache
def _notifier() -> Notifier:
    settings = load(MailSettings)
    if settings.mail_transport == "files":
        from pathlib import Path

        from storefront.adapters.notify.files import FileNotifier

        return FileNotifier(Path(settings.mail_directory), settings.mail_sender)
    from storefront.adapters.notify.ses import SesNotifier

    return SesNotifier(settings.mail_sender, configuration_set=settings.ses_configuration_set)


def orders() -> OrderPorts:
    """The ports of the order use cases (the product cache too: a cancel gives stock back)."""
    provided: OrderPorts | None = _provided.get("orders")
    return provided if provided is not None else _orders()


@cache
def _orders() -> OrderPorts:
    from storefront.adapters.clock import SystemClock

    return OrderPorts(
        unit_of_work=order_unit_of_work,
        totals=list_totals(),
        cache=cache_store(),
        clock=SystemClock(),
        publisher=message_publisher(),
    )


def saga() -> SagaPorts:
    """The ports of the saga's consumers (the order unit of work, the product cache, list totals, the publisher)."""
    provided: SagaPorts | None = _provided.get("saga")
    return provided if provided is not None else _saga()


@cache
def _saga() -> SagaPorts:
    from storefront.adapters.clock import SystemClock
    from storefront.application.saga import SagaPorts

    return SagaPorts(
        unit_of_work=order_unit_of_work,
        cache=cache_store(),
        totals=list_totals(),
        clock=SystemClock(),
        publisher=message_publisher(),
    )


def notifications() -> NotificationPorts:
    """The ports of the notification consumer: a unit of work, the notifier (files locally, SES in AWS), a clock."""
    provided: NotificationPorts | None = _provided.get("notifications")
    return provided if provided is not None else _notifications()


@cache
def _notifications() -> NotificationPorts:
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    return NotificationPorts(unit_of_work=lambda: SqlUnitOfWork(engine()), notifier=notifier(), clock=SystemClock())


def reset_policy() -> AuthPolicy:
    """How long the reset links the notification consumer mails live, and where they point."""
    provided: AuthPolicy | None = _provided.get("reset_policy")
    return provided if provided is not None else _reset_policy()


@cache
def _reset_policy() -> AuthPolicy:
    from datetime import timedelta

    from storefront.application.auth import AuthPolicy

    settings = load(ResetLinkSettings)
    return AuthPolicy(reset_lifetime=timedelta(minutes=settings.reset_token_minutes), reset_link=settings.reset_link)


def order_unit_of_work() -> OrderUnitOfWork:
    """A new unit of work over orders, the catalogue's stock and the outbox (the same rules as ``unit_of_work``)."""
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    return SqlUnitOfWork(engine())


def reports() -> ReportPorts:
    """The ports of the admin's stats, reports and analytics (figures cached in Redis when REDIS_URL is set)."""
    provided: ReportPorts | None = _provided.get("reports")
    return provided if provided is not None else _reports()


@cache
def _reports() -> ReportPorts:
    from storefront.adapters.clock import SystemClock

    return ReportPorts(
        unit_of_work=report_unit_of_work,
        cache=cache_store(),
        clock=SystemClock(),
        cache_ttl_seconds=load(CacheSettings).cache_ttl_seconds,
    )


def report_unit_of_work() -> ReportUnitOfWork:
    """A new (read-only) unit of work for the admin's figures."""
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork

    return SqlUnitOfWork(engine())


# The variables naming the queues (template.yaml sets them from each queue's Ref).
QUEUE_URL_VARIABLES = ("ORDER_PROCESSING_QUEUE_URL", "PAYMENT_QUEUE_URL", "NOTIFICATION_QUEUE_URL")


def message_publisher() -> MessagePublisher | None:
    """Where messages are sent after their commit, or None when this deployment has no queue to send them to:
    the outbox then keeps them until the relay runs where queues exist. Tests and the local run provide one
    (``provide(publisher=...)``)."""
    provided: MessagePublisher | None = _provided.get("publisher")
    if provided is not None:
        return provided
    if not any(os.environ.get(name) for name in QUEUE_URL_VARIABLES):
        return None
    return _sqs_publisher()


@cache
def _sqs_publisher() -> MessagePublisher:
    from storefront.adapters.messaging.sqs import SqsPublisher

    return SqsPublisher(load(QueueSettings))


def idempotency_store() -> BasePersistenceLayer | None:
    """Where Idempotency-Key records are kept: Powertools' cache persistence layer on this container's Redis, or
    None without REDIS_URL (requests then run without the short-cut)."""
    provided: BasePersistenceLayer | None = _provided.get("idempotency")
    return provided if provided is not None else _idempotency_store()


@cache
def _idempotency_store() -> BasePersistenceLayer | None:
    client = _redis_client()
    if client is None:
        return None
    from storefront.adapters.cache.idempotency import ValidatingCachePersistenceLayer

    # redis-py's client is what the layer's protocol describes; its stubs type a few arguments more widely.
    return ValidatingCachePersistenceLayer(client=cast(Any, client))


def dead_letters() -> DeadLetters:
    """Where SQS consumers put the messages they refuse (the source queue's DLQ)."""
    provided: DeadLetters | None = _provided.get("dead_letters")
    return provided if provided is not None else _dead_letters()


@cache
def _dead_letters() -> DeadLetters:
    from storefront.adapters.messaging.sqs import SqsDeadLetters

    return SqsDeadLetters(load(QueueSettings))


def payment_gateway() -> PaymentGateway:
    """The payment provider (PAYMENT_PROVIDER_URL) behind its retries and its circuit breaker, shared
    through Redis when REDIS_URL is set; the API key is read on the first call."""
    provided: PaymentGateway | None = _provided.get("payments")
    return provided if provided is not None else _payment_gateway()


PAYMENT_BREAKER = "payment-provider"


@cache
def _payment_gateway() -> PaymentGateway:
    import math

    from storefront.adapters.payments.breaker import BreakerPolicy, SharedCircuitBreaker
    from storefront.adapters.payments.http_provider import HttpPaymentProvider, Timeouts
    from storefront.adapters.payments.retries import RetryPolicy

    settings = load(PaymentSettings)
    timeouts = Timeouts(settings.payment_connect_timeout_seconds, settings.payment_read_timeout_seconds)
    retries = RetryPolicy(
        max_attempts=settings.payment_max_attempts,
        backoff_base_seconds=settings.payment_backoff_base_seconds,
        backoff_max_seconds=settings.payment_backoff_max_seconds,
        total_seconds=settings.payment_total_timeout_seconds,
        attempt_seconds=timeouts.connect_seconds + timeouts.read_seconds,
    )
    policy = BreakerPolicy(
        failure_threshold=settings.payment_breaker_failures,
        reset_timeout_ms=math.ceil(settings.payment_breaker_reset_seconds * 1000),
        # The half-open trial holds its lease for as long as one whole call may take.
        probe_timeout_ms=math.ceil(settings.payment_total_timeout_seconds * 1000) + 1000,
    )
    breaker = SharedCircuitBreaker(PAYMENT_BREAKER, policy, _redis_client())
    return HttpPaymentProvider(
        settings.payment_provider_url, _payment_api_key, timeouts=timeouts, retries=retries, breaker=breaker
    )


def _payment_api_key() -> str:
    """PAYMENT_PROVIDER_API_KEY, or the ``api_key`` of the secret PAYMENT_PROVIDER_SECRET_ARN."""
    settings = load(PaymentSettings)
    if settings.payment_provider_api_key is not None:
        return str(settings.payment_provider_api_key.get_secret_value())
    assert settings.payment_provider_secret_arn is not None  # guaranteed by PaymentSettings
    key: object = secret_store().json_secret(settings.payment_provider_secret_arn).get("api_key")
    if not isinstance(key, str) or not key:
        raise ConfigurationError("PaymentSettings is invalid: PAYMENT_PROVIDER_SECRET_ARN: the secret has no api_key")
    return key


def probes() -> list[HealthProbe]:
    """What readiness asks: the database and Redis (Redis is down when REDIS_URL is unset)."""
    provided: list[HealthProbe] | None = _provided.get("probes")
    if provided is not None:
        return provided
    from storefront.adapters.health import DatabaseProbe, RedisProbe

    return [DatabaseProbe(engine), RedisProbe(_redis_client)]


def metric_sources(tenant_id: UUID | None = None) -> list[MetricSource]:
    """The sources of /api/v1/metrics: every queue named by a ``*_QUEUE_URL`` variable (dead-letter queues
    too), the outbox, the orders, the cache and this container's database pool. With ``tenant_id`` the
    tenant-level sources (outbox, orders) count that tenant's rows only. Provided sources
    (``provide(metric_sources=...)``): a list, or a function of ``tenant_id`` returning one."""
    provided: list[MetricSource] | Callable[[UUID | None], list[MetricSource]] | None = _provided.get("metric_sources")
    if provided is not None:
        return provided(tenant_id) if callable(provided) else provided
    from storefront.adapters.clock import SystemClock
    from storefront.adapters.metric_sources import (
        CacheStatistics,
        DatabasePool,
        OrdersByStatus,
        OutboxBacklog,
        QueueDepths,
    )

    urls = {name: url for name, url in os.environ.items() if name.endswith("_QUEUE_URL") and url}
    return [
        QueueDepths(_metrics_sqs_client, urls),
        OutboxBacklog(engine, SystemClock(), tenant_id),
        OrdersByStatus(engine, tenant_id),
        CacheStatistics(_redis_client),
        DatabasePool(engine),
    ]


@cache
def _metrics_sqs_client() -> Any:
    from storefront.adapters.messaging.sqs import sqs_client

    # One attempt: the metrics endpoint bounds each source with its own timeout and reports it, never retries.
    return sqs_client(load(QueueSettings).model_copy(update={"sqs_max_attempts": 1}))


def reset() -> None:
    """Forget every built and provided adapter and every read setting (tests and local tools use this)."""
    _provided.clear()
    builders = (engine, _redis_client, _cache_store, _list_totals, _rate_limiter, _revocations, _catalog)
    for builder in (
        *builders,
        _secret_store,
        _token_verifier,
        _identity,
        _users,
        _notifier,
        _orders,
        _saga,
        _notifications,
        _reset_policy,
        _reports,
        _sqs_publisher,
        _dead_letters,
        _idempotency_store,
        _payment_gateway,
        _metrics_sqs_client,
        service_key_verifier,
    ):
        builder.cache_clear()
    config.forget()
