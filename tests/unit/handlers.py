"""Calling real handlers with events from events/ and the fake catalog."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID

from localdev.runtime import LambdaContext, load_handler
from storefront.domain.identity import Principal, Role

EVENTS = Path(__file__).resolve().parents[2] / "events"
# Who the sample order events come from: the demo user of the demo tenant (an account must exist to order).
SAMPLE_BUYER = Principal(
    user_id="9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0002",
    username="demo-user",
    role=Role.USER,
    tenant_id=UUID("00000000-0000-4000-8000-000000000001"),
)


def event(name: str, **changes: Any) -> dict[str, Any]:
    """A sample event from events/, with top-level keys replaced (``body`` may be given as data)."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    data = copy.deepcopy(data)
    if "body" in changes and not isinstance(changes["body"], str | None):
        changes["body"] = json.dumps(changes["body"])
    data.update(changes)
    return data


def call(handler: str, evt: dict[str, Any]) -> tuple[int, dict[str, list[str]], Any]:
    """Status, headers and decoded JSON body of the handler's answer."""
    result = load_handler(handler)(evt, LambdaContext("test"))
    body = json.loads(result["body"]) if result.get("body") else None
    return result["statusCode"], result["multiValueHeaders"], body


def set_header(evt: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    """Add a header the way API Gateway shows it: in both header maps."""
    evt["headers"][name] = value
    evt["multiValueHeaders"][name] = [value]
    return evt
