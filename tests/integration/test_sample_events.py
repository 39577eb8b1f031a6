"""Every sample event in events/ runs against the embedded local stack, as `make invoke` runs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localdev.invoke import run
from localdev.stack import local_stack
from storefront import bootstrap

# In an order that keeps every event meaningful: reads, then writes, then the delete.
EVENTS = [
    ("GetProductFunction", "products/get_product.json", 200),
    ("ListProductsFunction", "products/list_products.json", 200),
    ("CreateProductFunction", "products/create_product.json", 201),
    ("UpdateProductFunction", "products/update_product.json", 200),
    ("ReplaceProductFunction", "products/replace_product.json", 200),
    ("DeleteProductFunction", "products/delete_product.json", 204),
]


@pytest.fixture
def stack(tmp_path: Path):
    saved = dict(os.environ)
    bootstrap.reset()
    with local_stack("apigw", f"sqlite:///{tmp_path / 'events.db'}") as env:
        bootstrap.reset()
        yield env
    os.environ.clear()
    os.environ.update(saved)
    bootstrap.reset()


def test_every_sample_event_succeeds_on_the_local_stack(stack):
    root = Path(__file__).resolve().parents[2] / "events"
    for function, event, status in EVENTS:
        result = run(function, root / event)
        assert result["statusCode"] == status, (function, result.get("body"))
    result = run("AuthorizerFunction", root / "identity" / "authorizer.json")
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    again = run("CreateProductFunction", root / "products/create_product.json")
    assert json.loads(again["body"])["error"]["code"] == "BIZ_002"
