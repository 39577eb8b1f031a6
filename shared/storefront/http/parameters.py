"""Query and path parameters as both gateways hand them over, made alike and checked for storable text.

Kong's awsgateway_compatible event carries ``true`` for a parameter given without a value (``?q``) and the
first value of a repeated one in ``queryStringParameters``; API Gateway carries ``""`` and the last value.
Both become API Gateway's form here, so a route sees the same parameters behind either gateway.
"""

from __future__ import annotations

from typing import Any

from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.text import unstorable_reason


def normalise_parameters(event: dict[str, Any]) -> None:
    """Rewrite the event's query and path parameters as strings in API Gateway's form; VAL_002 on unstorable text."""
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    if multi or single:
        merged = {
            name: [_text(v, name) for v in _values(multi.get(name, single.get(name)))] for name in {*multi, *single}
        }
        event["multiValueQueryStringParameters"] = merged
        event["queryStringParameters"] = {name: values[-1] for name, values in merged.items() if values}
    path = event.get("pathParameters") or {}
    if path:
        event["pathParameters"] = {name: _text(value, name) for name, value in path.items()}


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any, name: str) -> str:
    text = "" if value is True or value is None else str(value)
    reason = unstorable_reason(text)
    if reason is not None:
        raise ValidationFailed.single(str(name), ErrorCode.INVALID_FORMAT, reason)
    return text
