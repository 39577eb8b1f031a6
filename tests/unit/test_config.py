"""Settings fail fast with one clear line naming every bad variable."""

from __future__ import annotations

import json

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
        ({"JWT_SECRETS": '{"storefront-web": "31-bytes-is-one-byte-too-short"}'}, TokenSettings, "JWT_SECRETS"),
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


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [("s" * 31, False), ("s" * 32, True), ("é" * 16, True), ("é" * 15 + "s", False)],  # bytes, not characters
)
def test_signing_secrets_need_32_bytes_and_the_error_never_shows_them(monkeypatch, secret, accepted):
    monkeypatch.setenv("JWT_SECRETS", json.dumps({"storefront-web": "x" * 40, "mobile": secret}))
    if accepted:
        assert load(TokenSettings).jwt_secrets["mobile"].get_secret_value() == secret
        return
    with pytest.raises(ConfigurationError) as raised:
        load(TokenSettings)
    message = str(raised.value)
    assert all(part in message for part in ("JWT_SECRETS", "mobile", "32 bytes"))
    assert not any(part in message for part in (secret, "storefront-web"))
    assert raised.value.__cause__ is None  # the validation error, which holds the input, is not chained


def fresh_import(module: str) -> None:
    import importlib
    import sys

    sys.modules.pop(module, None)
    try:
        importlib.import_module(module)
    finally:
        sys.modules.pop(module, None)


@pytest.mark.parametrize(
    ("module", "mode"),
    [("identity.authorizer", "apigw"), ("identity.authorizer", "kong"), ("products.get_product", "kong")],
)
def test_a_short_secret_stops_the_cold_start_of_every_function_that_verifies_tokens(monkeypatch, module, mode):
    monkeypatch.setenv("GATEWAY_MODE", mode)
    monkeypatch.setenv("JWT_SECRETS", json.dumps({"storefront-web": "short"}))
    with pytest.raises(ConfigurationError, match="JWT_SECRETS"):
        fresh_import(module)


def test_behind_api_gateway_a_protected_function_needs_no_secrets(monkeypatch):
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.delenv("JWT_SECRETS")
    fresh_import("products.get_product")
