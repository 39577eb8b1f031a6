"""Invoke one function with a sample event, on the embedded local stack.

    python -m localdev.invoke GetProductFunction events/products/get_product.json [--mode kong|apigw]

Events may hold placeholders filled in at invoke time: ``{{token:ROLE}}`` (a fresh local token) and
``{{product_id}}`` (a demo product of the demo tenant).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from localdev.runtime import invoke
from localdev.template import read_api


def fill_placeholders(text: str) -> str:
    """Replace ``{{token:ROLE}}`` and ``{{product_id}}`` in an event file."""
    from localdev.token import make_token

    def token(found: re.Match[str]) -> str:
        role = found.group(1)
        return make_token(role, os.environ.get("DEFAULT_TENANT_ID", ""), f"local-{role}", f"local-{role}", 3600)

    text = re.sub(r"\{\{token:(\w+)\}\}", token, text)
    if "{{product_id}}" in text:
        text = text.replace("{{product_id}}", demo_product_id())
    return text


def demo_product_id() -> str:
    """The id of a live demo product."""
    from uuid import UUID

    from storefront import bootstrap
    from storefront.application import products
    from storefront.application.queries import ProductQuery

    page = products.list_products(bootstrap.catalog(), UUID(os.environ["DEFAULT_TENANT_ID"]), ProductQuery(limit=1, sort="sku", order="asc"))
    return str(page.items[0].id)


def run(function_id: str, event_path: Path) -> dict[str, Any]:
    """The handler's answer to the event in ``event_path``."""
    function = read_api().functions[function_id]
    event = json.loads(fill_placeholders(event_path.read_text()))
    return invoke(function.handler, function.function_name, event)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Invoke a function with a sample event.")
    parser.add_argument("function", help="logical id in template.yaml, e.g. GetProductFunction")
    parser.add_argument("event", type=Path, help="an event file, e.g. events/products/get_product.json")
    parser.add_argument("--mode", choices=["kong", "apigw"], default="kong")
    args = parser.parse_args(argv)

    from localdev.stack import local_stack

    with local_stack(args.mode, os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")):
        print(json.dumps(run(args.function, args.event), indent=2))


if __name__ == "__main__":
    main()
