"""Fixtures of the unit tests that call real handlers."""

import pytest

from storefront import bootstrap
from tests.fakes import FakeCatalog


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeCatalog:
    """API Gateway mode with the fake catalogue behind the product functions."""
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    catalog = FakeCatalog()
    bootstrap.provide(catalog=catalog.ports)
    return catalog
