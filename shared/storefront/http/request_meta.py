"""The ids of the request being served: request id (Kong's or API Gateway's) and X-Ray trace id."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from storefront.observability import current_trace_id

KONG_REQUEST_ID = "x-kong-request-id"
# What a gateway's request id looks like (Kong's 32 hex digits, the correlation-id plugin's UUID#counter,
# API Gateway's UUID). The Kong header reaches the function as the client sent it unless a plugin sets it,
# and it is echoed in a header and in every log line: markup, quotes and spaces never get there.
_REQUEST_ID = re.compile(r"[0-9A-Za-z._:#-]{1,128}")


@dataclass(frozen=True, slots=True)
class RequestMeta:
    request_id: str
    trace_id: str


_current: ContextVar[RequestMeta | None] = ContextVar("storefront_request_meta", default=None)
_NONE = RequestMeta("", "")


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header by case-insensitive name (API Gateway keeps the client's spelling)."""
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def header_values(event: Mapping[str, Any], name: str) -> list[str]:
    """Every value of header ``name`` (lower case), in the order sent: both gateways keep a repeated header's
    values in ``multiValueHeaders`` (``headers`` holds Kong's first or API Gateway's last)."""
    values = [
        str(v)
        for key, items in (event.get("multiValueHeaders") or {}).items()
        if key.lower() == name
        for v in (items if isinstance(items, list) else [items])
    ]
    if values:
        return values
    single = header(event, name)
    return [single] if single is not None else []


def replace_header(event: dict[str, Any], name: str, value: str | None) -> None:
    """Put ``value`` (None: nothing) in place of every spelling of header ``name`` (lower case) in both maps."""
    for key in ("headers", "multiValueHeaders"):
        kept = {k: v for k, v in (event.get(key) or {}).items() if k.lower() != name}
        if value is not None:
            kept[name] = value if key == "headers" else [value]
        event[key] = kept


def bind_request(event: dict[str, Any], *, behind_kong: bool) -> RequestMeta:
    """Read the request's ids from the event and make them current for this invocation.

    The request id is the gateway's own: API Gateway's, or behind Kong the id Kong made for the request (the
    event's ``requestContext.requestId``, which Kong also answers as ``X-Kong-Request-Id``). An
    ``X-Kong-Request-ID`` header in the event is what the client sent (Kong's aws-lambda plugin passes the
    client's headers as they came), so it is taken only behind Kong and only when the event has no id of Kong's
    (an event not in API Gateway's format): a client cannot choose the id its request is logged under.
    """
    gateway_id = str((event.get("requestContext") or {}).get("requestId") or "")
    if not _REQUEST_ID.fullmatch(gateway_id):
        sent = header(event, KONG_REQUEST_ID) if behind_kong else None
        gateway_id = sent if sent is not None and _REQUEST_ID.fullmatch(sent) else ""
    meta = RequestMeta(request_id=gateway_id, trace_id=current_trace_id())
    _current.set(meta)
    return meta


def current_meta() -> RequestMeta:
    """The ids of the request being served."""
    return _current.get() or _NONE
