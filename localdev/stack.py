"""The embedded stack `make run` starts: SQLite with migrations and demo data (seeded once), the Redis
stand-in shared by every local process on that database, and the functions' settings."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from localdev.kong import KongConfig, load_kong
from localdev.kong.declarative import declarative_config
from localdev.paths import ROOT, STATE, use_lambda_paths
from localdev.payment_provider import LOCAL_API_KEY as LOCAL_PAYMENT_API_KEY
from localdev.redis_stand_in import free_port as free_port  # the tests' free loopback ports
from localdev.redis_stand_in import shared_stand_in

# Any page served from this machine, whatever its port (kong/kong.yml is generated with the same).
LOCAL_CORS_ORIGINS = "http://localhost:*,http://127.0.0.1:*"
DEMO_TENANT = UUID("00000000-0000-4000-8000-000000000001")
# Fixed ids, so the sample events in events/ can name a product that exists.
LOCAL_CONSUMER = "storefront-web"  # the Kong consumer whose key signs the tokens login issues locally
MAIL_DIRECTORY = STATE / "mail"  # where the local run's emails land, one .eml file each
# The contract's demo accounts: (id, email, username, password, role). Local passwords, never deployed.
DEMO_ACCOUNTS = [
    (
        UUID("9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0001"),
        "admin@demo.storefront.test",
        "demo-admin",
        "storefront-demo-admin",
        "admin",
    ),
    (
        UUID("9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0002"),
        "user@demo.storefront.test",
        "demo-user",
        "storefront-demo-user",
        "user",
    ),
]
DEMO_PRODUCTS = [
    (UUID("5a1d2c4e-0001-4000-8000-000000000001"), "MUG-001", "Enamel camping mug", "Kitchen", "12.50", 120),
    (UUID("5a1d2c4e-0002-4000-8000-000000000002"), "TEE-002", "Organic cotton t-shirt", "Apparel", "24.00", 80),
    (UUID("5a1d2c4e-0003-4000-8000-000000000003"), "BAG-003", "Waxed canvas tote bag", "Accessories", "39.90", 45),
    (UUID("5a1d2c4e-0004-4000-8000-000000000004"), "LMP-004", "Brass desk lamp", "Home", "89.00", 12),
    (UUID("5a1d2c4e-0005-4000-8000-000000000005"), "NBK-005", "Dot-grid notebook A5", "Stationery", "9.75", 300),
]


def local_environment(mode: str, database_url: str, redis_url: str | None, kong: KongConfig) -> dict[str, str]:
    """The environment the functions get locally (the template's plain values, then local ones)."""
    env = {
        "GATEWAY_MODE": mode,
        "DATABASE_URL": database_url,
        "JWT_SECRETS": json.dumps(kong.jwt_secrets()),
        "CORS_ALLOWED_ORIGINS": os.environ.get("CORS_ALLOWED_ORIGINS", LOCAL_CORS_ORIGINS),
        "POWERTOOLS_SERVICE_NAME": "storefront-local",
        "POWERTOOLS_METRICS_NAMESPACE": "Storefront",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(
        DEFAULT_TENANT_ID=str(DEMO_TENANT),
        JWT_ISSUER=next(k for k, c in kong.credentials.items() if c.consumer.username == LOCAL_CONSUMER),
        MAIL_TRANSPORT="files",
        # MAIL_DIRECTORY set in the shell moves them (the end-to-end tests read a folder of their own).
        MAIL_DIRECTORY=os.environ.get("MAIL_DIRECTORY") or str(MAIL_DIRECTORY),
    )
    # The fake payment provider the gateway serves (localdev.payment_provider; the gateway sets its URL):
    # short timeouts, so a tok_timeout order gives up in seconds, and a breaker that recovers quickly.
    env.update(
        PAYMENT_PROVIDER_API_KEY=LOCAL_PAYMENT_API_KEY,
        PAYMENT_CONNECT_TIMEOUT_SECONDS="1",
        PAYMENT_READ_TIMEOUT_SECONDS="2",
        PAYMENT_TOTAL_TIMEOUT_SECONDS="8",
        PAYMENT_BREAKER_RESET_SECONDS="10",
    )
    return env


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema (alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config

    use_lambda_paths()
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = database_url
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")


def seed_demo_accounts() -> int:
    """Add the contract's demo accounts to the demo tenant when they were never made; returns how many were
    added. An account deleted through the API stays deleted (its email and username stay taken, as any
    deleted account's do): `rm -rf .local` brings it back."""
    use_lambda_paths()
    from sqlalchemy import select

    from storefront import bootstrap
    from storefront.adapters.db.tables import USERS
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork
    from storefront.adapters.passwords import Argon2Hasher
    from storefront.application.user_queries import totals_scope
    from storefront.domain.identity import Role
    from storefront.domain.users import Identity, User

    hasher = Argon2Hasher()
    added = 0
    now = bootstrap.catalog().clock.now()
    for user_id, email, username, password, role in DEMO_ACCOUNTS:
        with SqlUnitOfWork(bootstrap.engine()) as uow:
            if uow.read(select(USERS.c.ID).where(USERS.c.ID == user_id)).first() is not None:
                continue
            identity = Identity(email, username, username.replace("-", " ").title())
            user = User.create(
                DEMO_TENANT, identity, hasher.hash(password), "seed", now, role=Role(role), user_id=user_id
            )
            uow.users.add(user)
            uow.commit()
            added += 1
    if added:  # written past the use cases, so forget the tenant's remembered user list totals
        bootstrap.list_totals().forget(totals_scope(DEMO_TENANT))
    return added


def seed_demo_data() -> int:
    """Add the demo catalogue to the demo tenant once: when no demo product was ever stored there (a deleted
    one keeps its SKU, so it is not added again); returns how many were added."""
    use_lambda_paths()
    from dataclasses import replace

    from sqlalchemy import select

    from storefront import bootstrap
    from storefront.adapters.db.tables import PRODUCTS
    from storefront.application import products
    from storefront.domain.money import Money
    from storefront.domain.products import Product, ProductDetails

    ports = bootstrap.catalog()
    ids = [product_id for product_id, *_ in DEMO_PRODUCTS]
    with bootstrap.engine().connect() as connection:  # deleted rows count: their SKUs stay taken
        if connection.execute(select(PRODUCTS.c.ID).where(PRODUCTS.c.ID.in_(ids)).limit(1)).first() is not None:
            return 0
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        for product_id, sku, name, category, amount, stock in DEMO_PRODUCTS:
            details = ProductDetails(
                sku=sku, name=name, price=Money(Decimal(amount), "EUR"), stock=stock, category=category
            )
            uow.products.add(replace(Product.create(DEMO_TENANT, details, "seed", now), id=product_id))
        uow.commit()
    # Written past the use cases, so forget the tenant's remembered list totals as a product write does.
    ports.totals.forget(products.totals_scope(DEMO_TENANT))
    return len(DEMO_PRODUCTS)


@contextmanager
def local_stack(
    mode: str, database_url: str | None = None, redis_url: str | None = None, port: int | None = None
) -> Iterator[dict[str, str]]:
    """Prepare everything the functions need and put their settings in os.environ; yields those settings.
    ``port``: where the gateway listens, so the reset links mailed point at it."""
    kong = load_kong(declarative_config())
    STATE.mkdir(exist_ok=True)
    database_url = database_url or f"sqlite:///{Path(STATE, 'storefront.db')}"
    with _redis(redis_url, database_url) as redis:
        env = local_environment(mode, database_url, redis, kong)
        if port is not None:
            env["RESET_LINK"] = f"http://127.0.0.1:{port}/reset-password?token={{token}}"
        os.environ.update(env)
        with _one_at_a_time(STATE / "setup.lock"):  # two `make run` starting together share one database
            migrate(database_url)
            seed_demo_data()
            seed_demo_accounts()
        yield env


@contextmanager
def _one_at_a_time(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (another process waits for it)."""
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _redis(redis_url: str | None, database_url: str) -> Iterator[str]:
    if redis_url:
        yield redis_url
    else:
        with shared_stand_in(database_url) as url:
            yield url
