"""Settings fail fast with one clear line naming every bad variable."""

from __future__ import annotations

import pytest

from storefront.config import CacheSettings, ConfigurationError, DatabaseSettings, GatewaySettings, TokenSettings, load


def test_defaults(monkeypatch):
    monkeypatch.delenv("GATEWAY_MODE")
    gateway = load(GatewaySettings)
    assert (gateway.gateway_mode, gateway.kong_verify_token, gateway.max_body_bytes) == ("kong", True, 1024 * 1024)
    assert load(CacheSettings).redis_url is None


@pytest.mark.parametrize(
    ("variables", "settings", "mentions"),
    [
        ({"GATEWAY_MODE": "nginx"}, GatewaySettings, "GATEWAY_MODE"),
        ({"MAX_BODY_BYTES": "-1"}, GatewaySettings, "MAX_BODY_BYTES"),
        ({"JWT_SECRETS": "not json"}, TokenSettings, "JWT_SECRETS"),
        ({"JWT_SECRETS": "{}"}, TokenSettings, "JWT_SECRETS"),
        ({"DATABASE_URL": ""}, DatabaseSettings, "DATABASE_URL or DATABASE_SECRET_ARN"),
        ({"DATABASE_SECRET_ARN": "arn:aws:secretsmanager:x"}, DatabaseSettings, "exactly one"),
        ({"DB_POOL_MIN": "9", "DB_POOL_MAX": "2"}, DatabaseSettings, "DB_POOL_MIN"),
        ({"CACHE_TTL_SECONDS": "0"}, CacheSettings, "CACHE_TTL_SECONDS"),
    ],
)
def test_bad_settings_stop_the_start_with_a_clear_message(monkeypatch, variables, settings, mentions):
    for name, value in variables.items():
        if value == "" and name == "DATABASE_URL":
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        load(settings)
    assert mentions in str(raised.value)
    assert settings.__name__ in str(raised.value)


def test_a_function_with_bad_settings_fails_at_import(monkeypatch):
    import importlib
    import sys

    monkeypatch.delenv("DATABASE_URL")
    sys.modules.pop("products.get_product", None)
    with pytest.raises(ConfigurationError, match="DatabaseSettings"):
        importlib.import_module("products.get_product")
    sys.modules.pop("products.get_product", None)
