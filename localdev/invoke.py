"""Invoke one function with a sample event, on the embedded local stack (API Gateway mode).

    python -m localdev.invoke GetProductFunction events/products/get_product.json

The sample events are API Gateway events: the authorizer's claims sit in ``requestContext.authorizer``,
as they do when the API Gateway authorizer has run. The authorizer's own event carries the placeholder
``{{token:ROLE}}``, replaced by a fresh local token of that role.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from localdev.runtime import invoke
from localdev.stack import DEMO_TENANT
from localdev.template import read_api


def fill_placeholders(text: str) -> str:
    """Replace each ``{{token:ROLE}}`` with a signed local token of that role in the demo tenant."""
    from localdev.issue_token import make_token

    def token(found: re.Match[str]) -> str:
        role = found.group(1)
        return make_token(role, str(DEMO_TENANT), f"local-{role}", f"local-{role}", 3600)

    return re.sub(r"\{\{token:(\w+)\}\}", token, text)


def run(function_id: str, event_path: Path) -> dict[str, Any]:
    """The handler's answer to the event in ``event_path``."""
    function = read_api().functions[function_id]
    event = json.loads(fill_placeholders(event_path.read_text()))
    return invoke(function.handler, function.function_name, event)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Invoke a function with a sample event.")
    parser.add_argument("function", help="logical id in template.yaml, e.g. GetProductFunction")
    parser.add_argument("event", type=Path, help="an event file, e.g. events/products/get_product.json")
    args = parser.parse_args(argv)

    from localdev.stack import local_stack

    with local_stack("apigw", os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")):
        print(json.dumps(run(args.function, args.event), indent=2))


if __name__ == "__main__":
    main()
