"""Request events for the benchmarks, built from the sample events in events/."""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from typing import Any

from benchmarks.environment import ROOT

# HTTP function module -> (sample event, status of a successful answer)
FUNCTIONS = {
    "products.get_product": ("get_product", 200),
    "products.list_products": ("list_products", 200),
    "products.create_product": ("create_product", 201),
    "products.update_product": ("update_product", 200),
    "products.replace_product": ("replace_product", 200),
    "products.delete_product": ("delete_product", 204),
}


LOGIN = "auth.login"
# The demo user of the local run, also seeded into the benchmark's database.
LOGIN_BODY = {"login": "demo-user", "password": "storefront-demo-user"}


@cache
def _sample(name: str) -> dict[str, Any]:
    folder = "auth" if name == "login" else "products"
    loaded: dict[str, Any] = json.loads((ROOT / "events" / folder / f"{name}.json").read_text())
    return loaded


def login_event() -> dict[str, Any]:
    """A login of the demo user."""
    return event("login", body=LOGIN_BODY)


def event(name: str, product_id: str | None = None, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sample event ``name``, aimed at ``product_id`` and carrying ``body`` when given."""
    data = copy.deepcopy(_sample(name))
    if product_id is not None:
        data["path"] = f"/KONGAPI/api/v1/products/{product_id}"
        data["pathParameters"] = {"product_id": product_id}
    if body is not None:
        data["body"] = json.dumps(body)
    return data


def new_product_body() -> dict[str, Any]:
    """A product with a SKU no other run has used."""
    return {
        "sku": f"BENCH-{uuid.uuid4().hex[:12]}",
        "name": "Benchmark teapot",
        "description": "Cast iron",
        "price": {"amount": "19.90", "currency": "EUR"},
        "stock": 10,
        "category": "Kitchen",
    }


def event_for(function: str, product_id: str) -> dict[str, Any]:
    """A request to ``function`` that succeeds against the product ``product_id``."""
    name, _ = FUNCTIONS[function]
    if name == "create_product":
        return event(name, body=new_product_body())
    if name == "replace_product":
        return event(name, product_id, body=new_product_body())
    if name == "update_product":
        return event(name, product_id, body={"stock": 7})
    if name in ("get_product", "delete_product"):
        return event(name, product_id)
    return event(name)
