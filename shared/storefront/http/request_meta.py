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

    Behind Kong the request id is an ``X-Kong-Request-ID`` header when there is one, else Kong's own request id
    (the event's ``requestContext.requestId``, which Kong also returns as ``X-Kong-Request-Id``); behind API
    Gateway it is API Gateway's own, and an ``X-Kong-Request-ID`` sent by a client there is just a header.
    """
    kong_id = header(event, KONG_REQUEST_ID) if behind_kong else None
    if kong_id is not None and not _REQUEST_ID.fullmatch(kong_id):
        kong_id = None  # not shaped like a request id: the gateway's own is used
    request_id = kong_id or str((event.get("requestContext") or {}).get("requestId") or "")
    meta = RequestMeta(request_id=request_id if _REQUEST_ID.fullmatch(request_id) else "", trace_id=current_trace_id())
    _current.set(meta)
    return meta


def current_meta() -> RequestMeta:
    """The ids of the request being served."""
    return _current.get() or _NONE
