"""Settings per concern, read from environment variables once per container; a bad value stops the start.

A function names the settings it needs (``lambda_entry(app, requires=...)``) and they are checked at
import time, so a misconfigured function fails its cold start with one clear line instead of failing
its first request.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import TYPE_CHECKING, Literal, TypeVar
from uuid import UUID

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

if TYPE_CHECKING:
    from storefront.domain.rate_limits import Window


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed."""


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)


class GatewaySettings(_Settings):
    """How requests reach the function and what the HTTP layer enforces."""

    gateway_mode: Literal["kong", "apigw"] = "kong"
    # Behind Kong, also check the token's signature in the function (defence in depth).
    kong_verify_token: bool = True
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    gzip_min_bytes: int = Field(default=1024, gt=0)
    # Behind an API Gateway custom domain with a base path mapping (``/shop``), paths arrive with that prefix.
    api_base_path: str = Field(default="", pattern=r"^(/[A-Za-z0-9._~-]+)*$")
    # Proxies in front of the gateway (addresses or CIDRs, comma-separated) whose X-Forwarded-For entries are
    # believed when finding a public caller's address (storefront.http.client_address); empty: none.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        if value.strip():
            from storefront.http.client_address import networks

            networks(value)  # raises ValueError naming an entry that is not an address or network
        return value


class CorsSettings(_Settings):
    """Which browser origins may read the API's responses (see storefront.http.cors)."""

    cors_allowed_origins: str = ""

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        from storefront.http.cors import policy

        policy(value)  # raises ValueError naming a malformed entry
        return value


MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash output


class TokenSettings(_Settings):
    """Secrets that sign access tokens: one per Kong consumer key (the token's ``iss``).

    There is no clock leeway: Kong's jwt plugin has none, and the same token must get the same answer
    behind Kong and behind the API Gateway authorizer.
    """

    jwt_secrets: dict[str, SecretStr] = Field(min_length=1)
    jwt_max_lifetime_seconds: int = Field(default=3600, gt=0, le=3600)

    @field_validator("jwt_secrets")
    @classmethod
    def _long_enough(cls, secrets: dict[str, SecretStr]) -> dict[str, SecretStr]:
        short = sorted(
            key for key, secret in secrets.items() if len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES
        )
        if short:
            raise ValueError(f"the secret of {', '.join(short)} is shorter than {MIN_SECRET_BYTES} bytes")
        return secrets


class DatabaseSettings(_Settings):
    """Where the database is and how its connection pool behaves."""

    database_url: SecretStr | None = None
    # Production: a Secrets Manager secret {username, password, host, port, service_name}, read through the
    # AWS Parameters and Secrets Lambda Extension listening on this port (the extension's own variable).
    database_secret_arn: str | None = None
    parameters_secrets_extension_http_port: int = Field(default=2773, gt=0, lt=65536)
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=4, ge=1)
    db_pool_increment: int = Field(default=1, ge=1)
    db_pool_ping_interval: int = Field(default=60, ge=-1)
    db_pool_timeout_seconds: int = Field(default=5, gt=0)
    db_idle_timeout_seconds: int = Field(default=300, ge=0)
    db_call_timeout_ms: int = Field(default=10_000, ge=0)
    db_drcp: bool = False
    db_drcp_class: str = "STOREFRONT"

    @model_validator(mode="after")
    def _one_source(self) -> DatabaseSettings:
        if (self.database_url is None) == (self.database_secret_arn is None):
            raise ValueError("set exactly one of DATABASE_URL or DATABASE_SECRET_ARN")
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("DB_POOL_MIN must not exceed DB_POOL_MAX")
        return self


DEFAULT_RATE_LIMITS = "100/minute,1000/hour,10000/day"
# What the public/auth/* functions set in template.yaml (per client address): stricter than the default.
AUTH_RATE_LIMITS = "10/minute,100/hour,1000/day"


class RateLimitSettings(_Settings):
    """The function's rate limits (per consumer when authenticated, per client address when public) and what
    happens when Redis cannot answer. The limits need REDIS_URL; without it nothing is limited."""

    # Windows as <count>/<second|minute|hour|day>, comma-separated; a function sets its own in template.yaml.
    rate_limits: str = DEFAULT_RATE_LIMITS
    # Redis unreachable: admit the request (the default, logged with a metric) or refuse it (503 SYS_003).
    # Routes open only to admins always refuse: their token's revocation could not be checked.
    rate_limit_fail_closed: bool = False

    @field_validator("rate_limits")
    @classmethod
    def _windows(cls, value: str) -> str:
        from storefront.domain.rate_limits import parse_windows

        parse_windows(value)  # raises ValueError saying what is wrong
        return value

    @property
    def windows(self) -> tuple[Window, ...]:
        """The windows of ``rate_limits``, shortest period first."""
        from storefront.domain.rate_limits import parse_windows

        return parse_windows(self.rate_limits)


def rate_limit_settings() -> RateLimitSettings:
    """The rate-limit settings as the environment holds them, read once per distinct value.

    In Lambda they never change in a container; locally every function shares one process, and the local
    runtime sets a function's own RATE_LIMITS (template.yaml) while it runs, so each keeps its own limits.
    """
    return _rate_limit_settings(os.environ.get("RATE_LIMITS"), os.environ.get("RATE_LIMIT_FAIL_CLOSED"))


@cache
def _rate_limit_settings(rate_limits: str | None, fail_closed: str | None) -> RateLimitSettings:
    return read(RateLimitSettings)


def forget() -> None:
    """Forget every setting read so far (tests and local tools change the environment)."""
    load.cache_clear()
    _rate_limit_settings.cache_clear()


class CacheSettings(_Settings):
    """Redis for cache-aside reads; without REDIS_URL the function reads straight from the database."""

    redis_url: SecretStr | None = None
    cache_ttl_seconds: int = Field(default=60, gt=0)
    redis_timeout_seconds: float = Field(default=0.25, gt=0)


class SyncSettings(_Settings):
    """The service sync routes: how far behind the present a sync reads (``application/sync.py``).

    A row's UPDATED_AT is stamped before its transaction commits, so a sync that read up to the present could pass
    a timestamp whose row is not committed yet and never see it. Rows stamped less than ``sync_lag_seconds`` ago
    are left for a later page; the lag must exceed the longest time from stamp to commit: the longest timeout of a
    function writing a synced table (the order consumers: 30 s) plus clock skew between function instances.
    """

    sync_lag_seconds: float = Field(default=40.0, ge=0, le=3600)


class RedisRequiredSettings(CacheSettings):
    """Redis for a function that cannot work without it (the login throttle and revocations of auth)."""

    redis_url: SecretStr


class OperationsSettings(_Settings):
    """The operational endpoints: how long readiness waits for each dependency, and each metric source."""

    ready_deadline_seconds: float = Field(default=1.0, gt=0, le=5)
    metrics_source_timeout_seconds: float = Field(default=2.0, gt=0, le=5)
    environment: str = "local"  # the deployment stage (template: !Ref Environment)


class ResetLinkSettings(_Settings):
    """Reset links: how long one lives and where it points (the notification consumer mails them)."""

    reset_token_minutes: int = Field(default=30, gt=0, le=24 * 60)
    reset_link: str = Field(default="http://127.0.0.1:3000/reset-password?token={token}", pattern=r"\{token\}")


class AuthSettings(ResetLinkSettings):
    """Accounts and sessions: which consumer key signs access tokens, lifetimes, lockout, reset links."""

    default_tenant_id: UUID  # the tenant of public auth requests without X-Tenant-ID
    refresh_token_days: int = Field(default=14, gt=0, le=90)
    login_failures_per_account: int = Field(default=5, gt=0)
    login_failures_per_ip: int = Field(default=50, gt=0)
    login_failure_window_seconds: int = Field(default=900, gt=0)
    login_lock_seconds: int = Field(default=900, gt=0)


class IssuerSettings(_Settings):
    """Who signs the access tokens that login and refresh issue, and for how long they live."""

    jwt_issuer: str = Field(min_length=1)  # the Kong consumer key whose JWT_SECRETS entry signs tokens
    access_token_seconds: int = Field(default=900, gt=0, le=3600)


class MailSettings(_Settings):
    """How emails leave: Amazon SES in AWS, files on disk in the local run."""

    mail_transport: Literal["ses", "files"] = "ses"
    mail_sender: str = Field(default="Storefront <no-reply@storefront.test>", min_length=3)
    mail_directory: str = ".local/mail"
    ses_configuration_set: str | None = None


class QueueSettings(_Settings):
    """Where messages go (SQS) and how long a call to SQS may take: a Lambda must never hang on it.

    Each queue URL is optional: a function names only the queues it sends to, and a producer that needs an
    unset one gets a ConfigurationError naming it (``url``). ``AWS_ENDPOINT_URL_SQS`` is botocore's own
    variable for another SQS endpoint (the local run's moto server); the adapter passes it on explicitly.
    """

    order_processing_queue_url: str | None = None
    payment_queue_url: str | None = None
    notification_queue_url: str | None = None
    aws_endpoint_url_sqs: str | None = None
    # Short on purpose: SQS answers in milliseconds, and a caller (an HTTP request, the relay) must give up
    # in about a second or two, leaving the message in the outbox, rather than run into its own timeout.
    sqs_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    sqs_read_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # botocore's "standard" retry mode: attempts in total (the first call included), with jittered backoff.
    sqs_max_attempts: int = Field(default=3, ge=1, le=10)
    # A consumer sends an unknown message here (else the DLQ named by its source queue's redrive policy).
    dead_letter_queue_url: str | None = None
    # SQS DelaySeconds on every message sent to the order-processing queue: 0 (none) unless set. Locally,
    # `make run ORDER_DELAY=20` keeps a new order PENDING (changeable) for 20 s before the saga takes it.
    order_processing_delay_seconds: int = Field(default=0, ge=0, le=900)

    def url(self, queue: str) -> str:
        """The URL of ``queue`` (a messages.envelope.Queue value); ConfigurationError when it is not set."""
        variable = f"{queue.replace('-', '_')}_queue_url"
        value = getattr(self, variable, None)
        if not value:
            raise ConfigurationError(f"QueueSettings is invalid: {variable.upper()}: required to send to {queue}")
        return str(value)


# The payment consumer's Lambda timeout: one charge, retries and backoff included, must end well before it.
PAYMENT_CONSUMER_TIMEOUT_SECONDS = 30
PAYMENT_TOTAL_TIMEOUT_MAX_SECONDS = 25  # what the consumer keeps for its database work and its answer


class PaymentSettings(_Settings):
    """The payment provider (storefront.adapters.payments): where it is, its API key, how long a charge may
    take and when its circuit breaker opens. The key comes from PAYMENT_PROVIDER_API_KEY (the local run) or,
    in AWS, from the Secrets Manager secret PAYMENT_PROVIDER_SECRET_ARN ({"api_key": ...}) read through the
    Parameters and Secrets extension: exactly one of the two."""

    payment_provider_url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    payment_provider_api_key: SecretStr | None = None
    payment_provider_secret_arn: str | None = None
    payment_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    payment_read_timeout_seconds: float = Field(default=5.0, gt=0)
    payment_max_attempts: int = Field(default=3, ge=1, le=10)
    payment_backoff_base_seconds: float = Field(default=0.25, ge=0)
    payment_backoff_max_seconds: float = Field(default=2.0, ge=0)
    # Every attempt and every wait of one charge together; no attempt starts that could end after it.
    payment_total_timeout_seconds: float = Field(default=20.0, gt=0, le=PAYMENT_TOTAL_TIMEOUT_MAX_SECONDS)
    # Consecutive failed calls (after their retries) across every container before the breaker opens.
    payment_breaker_failures: int = Field(default=5, ge=1)
    # How long it stays open before one trial call (half-open) may go through.
    payment_breaker_reset_seconds: float = Field(default=30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _consistent(self) -> PaymentSettings:
        if (self.payment_provider_api_key is None) == (self.payment_provider_secret_arn is None):
            raise ValueError("set exactly one of PAYMENT_PROVIDER_API_KEY or PAYMENT_PROVIDER_SECRET_ARN")
        attempt = self.payment_connect_timeout_seconds + self.payment_read_timeout_seconds
        if attempt > self.payment_total_timeout_seconds:
            raise ValueError(
                "PAYMENT_CONNECT_TIMEOUT_SECONDS + PAYMENT_READ_TIMEOUT_SECONDS must not exceed "
                "PAYMENT_TOTAL_TIMEOUT_SECONDS (one attempt must fit in the total)"
            )
        if self.payment_backoff_base_seconds > self.payment_backoff_max_seconds:
            raise ValueError("PAYMENT_BACKOFF_BASE_SECONDS must not exceed PAYMENT_BACKOFF_MAX_SECONDS")
        return self


S = TypeVar("S", bound=_Settings)


@cache
def load(settings_class: type[S]) -> S:
    """The settings of this container, read once; ConfigurationError names every bad variable."""
    return read(settings_class)


def read(settings_class: type[S]) -> S:
    """The settings as the environment holds them now (``load`` reads them once and keeps them)."""
    try:
        return settings_class()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper() or settings_class.__name__}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigurationError(f"{settings_class.__name__} is invalid: {problems}") from None
    except SettingsError as error:  # a variable that should hold JSON does not
        field = re.search(r'field "(\w+)"', str(error))
        name = field.group(1).upper() if field else "a variable"
        raise ConfigurationError(f"{settings_class.__name__} is invalid: {name}: must be valid JSON") from None
