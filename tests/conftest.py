"""Shared fixtures: settings in the environment, principals and product details."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from storefront import bootstrap
from storefront.adapters.tokens import JwtTokens
from storefront.domain.identity import Principal, Role
from storefront.domain.money import Money
from storefront.domain.products import ProductDetails
from tests.fakes import FakeCatalog

LOCAL_ORIGINS = "http://localhost:*,http://127.0.0.1:*"
TEST_SECRETS = {"storefront-web": "test-only-secret-of-at-least-32-bytes!"}


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from known settings and no built adapters."""
    monkeypatch.setenv("GATEWAY_MODE", "kong")
    monkeypatch.setenv("JWT_SECRETS", json.dumps(TEST_SECRETS))
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", LOCAL_ORIGINS)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "StorefrontTests")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "tests")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.delenv("REDIS_URL", raising=False)
    bootstrap.reset()
    yield
    bootstrap.reset()


@pytest.fixture
def tokens() -> JwtTokens:
    return JwtTokens(TEST_SECRETS)


@pytest.fixture
def tenant() -> UUID:
    return uuid4()


@pytest.fixture
def admin(tenant: UUID) -> Principal:
    return Principal(user_id="admin-1", username="ada", role=Role.ADMIN, tenant_id=tenant)


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


def details(**overrides: object) -> ProductDetails:
    """Valid product details, with some fields replaced."""
    values: dict[str, object] = {
        "sku": "SKU-1",
        "name": "Teapot",
        "price": Money(Decimal("19.99"), "EUR"),
        "stock": 5,
        "description": "Cast iron",
        "category": "Kitchen",
    }
    values.update(overrides)
    return ProductDetails(**values)  # type: ignore[arg-type]
