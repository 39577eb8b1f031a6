"""The request and response as Kong's plugins see them: ngx-style lower-cased request headers, uri args,
and response headers that plugins set, add and clear by case-insensitive name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from localdev.events import HttpRequest, HttpResponse

QueryValue = str | bool
MAX_ARGS = 100  # ngx.req.get_uri_args() and get_headers() stop at 100 by default


def uri_args(query: str) -> dict[str, QueryValue | list[QueryValue]]:
    """ngx.req.get_uri_args(): ``a=1&a=2`` -> a: ["1", "2"]; ``flag`` -> flag: true; ``a=`` -> a: ""."""
    args: dict[str, QueryValue | list[QueryValue]] = {}
    for part in [p for p in query.split("&") if p][:MAX_ARGS]:
        name, equals, raw = part.partition("=")
        key = unquote_plus(name)
        if not key:
            continue
        value: QueryValue = unquote_plus(raw) if equals else True
        _collect(args, key, value)
    return args


def _collect(table: dict[str, Any], key: str, value: Any) -> None:
    """Add ``value`` under ``key`` as OpenResty does: a repeated key becomes a list of its values."""
    previous = table.get(key)
    if previous is None:
        table[key] = value
    elif isinstance(previous, list):
        previous.append(value)
    else:
        table[key] = [previous, value]


def request_headers(request: HttpRequest) -> dict[str, str | list[str]]:
    """ngx.req.get_headers(): lower-cased names; a repeated header is a list of its values."""
    headers: dict[str, str | list[str]] = {}
    for name, value in request.headers[:MAX_ARGS]:
        _collect(headers, name.lower(), value)
    return headers


def first(value: str | list[str] | None) -> str | None:
    """The first value of a header (kong.request.get_header)."""
    return value[0] if isinstance(value, list) else value


@dataclass
class KongRequest:
    """One request on its way through Kong's access phase."""

    http: HttpRequest
    headers: dict[str, str | list[str]]  # what set_header/clear_header change for the upstream
    args: dict[str, QueryValue | list[QueryValue]]
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # Kong's own ($kong_request_id)
    ctx: dict[str, Any] = field(default_factory=dict)  # kong.ctx.plugin, per plugin name

    @classmethod
    def of(cls, request: HttpRequest) -> KongRequest:
        return cls(request, request_headers(request), uri_args(request.query))

    def header(self, name: str) -> str | None:
        """kong.request.get_header (nginx's $http_NAME, which sees what earlier plugins set)."""
        return first(self.headers.get(name.lower()))

    def set_header(self, name: str, value: str) -> None:
        """kong.service.request.set_header."""
        self.headers[name.lower()] = value

    def clear_header(self, name: str) -> None:
        """kong.service.request.clear_header."""
        self.headers.pop(name.lower(), None)


@dataclass
class KongResponse:
    """A response Kong sends: the status, and headers plugins change by case-insensitive name."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set(self, name: str, value: str) -> None:
        """kong.response.set_header: replaces every value of the header."""
        self.clear(name)
        self.headers.append((name, value))

    def add(self, name: str, value: str) -> None:
        """kong.response.add_header: one more value."""
        self.headers.append((name, value))

    def clear(self, name: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]

    def to_http(self) -> HttpResponse:
        return HttpResponse(self.status, list(self.headers), self.body)
