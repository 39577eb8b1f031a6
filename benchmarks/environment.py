"""What the benchmarks run against: a PostgreSQL database of their own, Redis, the secrets stand-ins, products.

- PostgreSQL ``storefront_bench`` (created and migrated when missing), ``BENCH_POSTGRES_URL`` to change it;
- Redis database 13 on 127.0.0.1:6379, ``BENCH_REDIS_URL`` to change it;
- the Parameters and Secrets Lambda Extension stand-in serving an Oracle secret (Storefront's functions);
- a moto server serving the same secret through the Secrets Manager API (the peers use boto3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from localdev.secrets_extension import SecretsExtension
from localdev.stack import free_port, migrate

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/storefront_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
TENANT = "00000000-0000-4000-8000-000000000001"  # the tenant of the sample events
TOKEN = "bench-session-token"  # noqa: S105 - the stand-in's session token, not a credential
ORACLE_SECRET = {"username": "app", "password": "bench", "host": "127.0.0.1", "port": 1, "service_name": "FREEPDB1"}
ORACLE_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:storefront/db-Bench1"  # noqa: S105 - an id
BASE_ENV = {
    "GATEWAY_MODE": "apigw",
    "POWERTOOLS_SERVICE_NAME": "products",
    "POWERTOOLS_METRICS_NAMESPACE": "Storefront",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    # The rate limiter runs as in production (three windows, one Redis round trip per request), with limits
    # no benchmark reaches: every sample event is the same user, and a 429 would end the run.
    "RATE_LIMITS": "10000/minute,100000/hour,1000000/day",
}


@dataclass
class Environment:
    """Addresses and environment variables of one benchmark run."""

    extension_port: int
    moto_url: str
    peer_secret_arn: str
    redis: Redis
    product_id: str = ""
    product_sku: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def production(self) -> dict[str, str]:
        """Storefront's production settings: Oracle from the secret (via the extension), Redis."""
        return {
            **BASE_ENV,
            "DATABASE_SECRET_ARN": ORACLE_SECRET_ARN,
            "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(self.extension_port),
            "AWS_SESSION_TOKEN": TOKEN,
            "REDIS_URL": REDIS_URL,
        }

    def postgresql(self) -> dict[str, str]:
        """The same, on PostgreSQL (for requests that reach the database)."""
        return {**BASE_ENV, "DATABASE_URL": POSTGRES_URL, "REDIS_URL": REDIS_URL}

    def peers(self) -> dict[str, str]:
        """The peers' settings: the secret through the Secrets Manager API (moto), Redis."""
        return {
            **BASE_ENV,
            "DATABASE_SECRET_ARN": self.peer_secret_arn,
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "REDIS_URL": REDIS_URL,
        }


def ensure_database() -> None:
    """Create and migrate the benchmark database when it does not exist yet."""
    url = make_url(POSTGRES_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    migrate(POSTGRES_URL)


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port (its URL)."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1).close()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def environment() -> Iterator[Environment]:
    """Everything a benchmark run needs, torn down afterwards."""
    import boto3

    ensure_database()
    redis = Redis.from_url(REDIS_URL)
    redis.ping()
    with (
        SecretsExtension({ORACLE_SECRET_ARN: json.dumps(ORACLE_SECRET)}, token=TOKEN) as extension,
        moto_server() as moto_url,
    ):
        client = boto3.client(
            "secretsmanager",
            endpoint_url=moto_url,
            region_name="eu-west-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto accepts any
        )
        arn = client.create_secret(
            Name=f"storefront/db-{uuid.uuid4().hex[:6]}", SecretString=json.dumps(ORACLE_SECRET)
        )["ARN"]
        yield Environment(extension.port, moto_url, arn, redis)
    redis.close()
