"""A database that cannot be reached answers 503 SYS_003 in the envelope, with no driver text."""

from __future__ import annotations

import json

from localdev.runtime import LambdaContext, load_handler
from localdev.stack import free_port
from storefront import bootstrap
from tests.unit.handlers import event


def test_an_unreachable_database_is_503(monkeypatch):
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://storefront@127.0.0.1:{free_port()}/nowhere")
    monkeypatch.setenv("DB_POOL_TIMEOUT_SECONDS", "1")
    bootstrap.reset()
    result = load_handler("products.list_products.handler")(event("products/list_products.json"), LambdaContext("t"))
    body = json.loads(result["body"])
    assert (result["statusCode"], body["error"]["code"]) == (503, "SYS_003")
    assert "127.0.0.1" not in result["body"]
    assert "psycopg" not in result["body"]
