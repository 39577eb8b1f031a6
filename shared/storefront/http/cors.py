"""The API's CORS policy: which origins may read responses, and the headers a browser needs.

Origins come from the ``CORS_ALLOWED_ORIGINS`` setting: comma-separated entries, each an exact origin
(``https://shop.example.com``) or one whose port is a wildcard (``http://localhost:*``: any port, or none).
An origin is compared after dropping its scheme's default port, and the allowed origin is echoed back in
that form, as Kong's cors plugin does, so both gateways agree. Credentials are never allowed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache

ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Tenant-ID",
    "X-Service-Name",
    "X-API-Key",
)
EXPOSE_HEADERS = (
    "ETag",
    "Location",
    "X-Request-ID",
    "X-Cache",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Idempotent-Replayed",
    "Content-Disposition",  # the file name of a report downloaded as CSV
)
MAX_AGE_SECONDS = 3600
ANY_PORT = "*"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# A port as an origin serializes it: 1..65535, no leading zero (also the regex Kong's cors plugin is given).
PORT_PATTERN = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORIGIN = re.compile(
    rf"^(?P<scheme>https?)://(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
    rf"(?::(?P<port>{PORT_PATTERN}|\*))?$"
)


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: str | None  # None: the scheme's default port; "*" (rules only): any port

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")


def parse_origin(value: str, *, rule: bool = False) -> Origin | None:
    """``scheme://host[:port]`` with the default port dropped; None when ``value`` is not such an origin (a
    scheme other than http(s), a host that is not a DNS name or a bracketed IPv6 address, a port outside
    1..65535), so a malformed origin is never matched against the rules."""
    found = _ORIGIN.match(value.strip())
    if found is None or (found.group("port") == ANY_PORT and not rule):
        return None
    if found.group("host").startswith("[") and not _is_ipv6(found.group("host")[1:-1]):
        return None
    port = found.group("port")
    scheme = found.group("scheme")
    return Origin(scheme, found.group("host"), None if port == _DEFAULT_PORTS[scheme] else port)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """The allowed origins and the CORS headers of responses and preflights."""

    rules: tuple[Origin, ...]

    def allowed_origin(self, origin: str | None) -> str | None:
        """The origin to echo in Access-Control-Allow-Origin, or None when ``origin`` is not allowed."""
        parsed = parse_origin(origin) if origin else None
        if parsed is None:
            return None
        for rule in self.rules:
            same_site = (rule.scheme, rule.host) == (parsed.scheme, parsed.host)
            if same_site and rule.port in (ANY_PORT, parsed.port):
                return str(parsed)
        return None

    def response_headers(
        self, origin: str | None, vary: list[str] | None = None, *, vary_origin: bool = True
    ) -> dict[str, list[str]]:
        """Headers for any response: Vary names Origin (unless ``vary_origin`` is false: Kong's cors plugin adds
        its own ``Vary: Origin`` to the response, so the function's would be a second one); the rest only for
        an allowed origin. The route's ``vary`` values go out as one Vary header."""
        varies = [*(vary or []), *(["Origin"] if vary_origin else [])]
        headers = {"Vary": [", ".join(varies)]} if varies else {}
        allowed = self.allowed_origin(origin)
        if allowed is not None:
            headers["Access-Control-Allow-Origin"] = [allowed]
            headers["Access-Control-Expose-Headers"] = [", ".join(EXPOSE_HEADERS)]
        return headers

    def preflight_headers(self, origin: str | None, methods: tuple[str, ...]) -> dict[str, str]:
        """The preflight answer's own headers (empty for an origin that is not allowed)."""
        if self.allowed_origin(origin) is None:
            return {}
        return {
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ", ".join(ALLOW_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        }


@cache
def policy(setting: str) -> CorsPolicy:
    """The policy of a ``CORS_ALLOWED_ORIGINS`` value; ValueError names an entry that is not an origin."""
    rules = []
    for entry in (e.strip() for e in setting.split(",")):
        if not entry:
            continue
        rule = parse_origin(entry, rule=True)
        if rule is None:
            raise ValueError(f"{entry!r} is not an origin (scheme://host, optionally :port or :*)")
        rules.append(rule)
    return CorsPolicy(tuple(rules))
