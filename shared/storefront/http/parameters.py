"""Query parameters, path parameters and headers as both gateways hand them over, made alike.

Kong's awsgateway_compatible event carries ``true`` for a parameter given without a value (``?q``) and the
first value of a repeated one in ``queryStringParameters``; API Gateway carries ``""`` and the last value.
Both become API Gateway's form here, so a route sees the same parameters behind either gateway. A repeated
header is in the same spot: Kong's ``headers`` keeps its first value, API Gateway's its last, and both keep
every value in ``multiValueHeaders``; the headers read here are decided from all of them.
"""

from __future__ import annotations

from typing import Any

from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.text import unstorable_reason
from storefront.http.request_meta import header_values, replace_header


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


def normalise_headers(event: dict[str, Any]) -> None:
    """One value for the headers every response depends on: ``Accept-Encoding`` lists joined into one list,
    an ``Origin`` sent twice with different values dropped (no CORS headers for an ambiguous origin)."""
    accept = header_values(event, "accept-encoding")
    if len(accept) > 1:
        replace_header(event, "accept-encoding", ", ".join(accept))
    origins = set(header_values(event, "origin"))
    if len(origins) > 1:
        replace_header(event, "origin", None)
