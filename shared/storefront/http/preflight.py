"""The CORS preflight: OPTIONS on an API path answers 204 with that path's methods, for any caller."""

from __future__ import annotations

import re
from functools import cache

from aws_lambda_powertools.event_handler import Response

from storefront.config import CorsSettings, load
from storefront.domain.errors import NotFound
from storefront.http.cors import policy
from storefront.http.routes import ROUTES


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """The route table as regexes, most specific first (literal segments before path parameters)."""

    def specificity(path: str) -> tuple[bool, int]:
        return "+}" not in path, len(re.sub(r"\{[^}]*\}", "", path))

    compiled = []
    for path in sorted(ROUTES, key=specificity, reverse=True):
        regex = re.sub(r"\\\{\w+\\\+\\\}", ".+", re.escape(path))
        regex = re.sub(r"\\\{\w+\\\}", "[^/]+", regex)
        compiled.append((re.compile(f"^{regex}$"), ROUTES[path]))
    return tuple(compiled)


def methods_for(path: str) -> tuple[str, ...] | None:
    """The methods the API serves on ``path`` (None: no such route)."""
    return next((methods for pattern, methods in _patterns() if pattern.match(path.rstrip("/") or "/")), None)


def preflight(path: str, origin: str | None) -> Response[str]:
    """204 with the route's CORS preflight headers (none for an origin that is not allowed)."""
    methods = methods_for(path)
    if methods is None:
        raise NotFound("Route not found")
    headers = policy(load(CorsSettings).cors_allowed_origins).preflight_headers(origin, methods)
    return Response(204, None, "", headers=headers)
