"""Kong 3.x's cors plugin (kong/plugins/cors/handler.lua).

A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered by the plugin itself with
**200**, unless ``preflight_continue`` hands it on. Every other response gets, in the header filter,
``Vary: Origin`` (added) and Access-Control-Allow-Origin: an origin entry made only of ``[A-Za-z0-9.:/-]``
is compared with the request's origin after both are normalised (default ports dropped); any other entry
is a regex, anchored at both ends, matched against the normalised origin (or its host alone when the
entry has no ``:``). A single plain entry is sent as it is, whatever the request's origin.
"""

from __future__ import annotations

import re
from typing import Any

from localdev.kong.http import KongRequest, KongResponse

_PLAIN = re.compile(r"^[A-Za-z0-9.:/-]+$")
_REGEX_CHAR = re.compile(r"[^A-Za-z0-9.:/-]")
_ORIGIN = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):)?//(?P<host>[^/:?#]*)(?::(?P<port>[^/?#]*))?")
DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"


def normalize_origin(origin: str) -> tuple[str, str]:
    """normalize_origin: (domain, host), with the scheme's default port dropped; a value with no host stays."""
    found = _ORIGIN.match(origin)
    if found is None or not found.group("host"):
        return origin, origin
    scheme, host, port = found.group("scheme"), found.group("host"), found.group("port")
    if (scheme, port) in (("http", "80"), ("https", "443")):
        port = None
    return (f"{scheme}://" if scheme else "") + host + (f":{port}" if port else ""), host


def _matches(entry: str, origin: str) -> bool:
    domain, host = normalize_origin(origin)
    if _REGEX_CHAR.search(entry):
        regex = entry if entry.endswith("$") else entry + "$"
        regex = regex[1:] if regex.startswith("^") else regex
        return re.match(regex, host if ":" not in entry else domain) is not None
    return domain == normalize_origin(entry)[0]


def configure_origin(config: dict[str, Any], request: KongRequest, response: KongResponse, filtering: bool) -> bool:
    """Set Access-Control-Allow-Origin (and Vary); True when every origin is allowed."""
    origins: list[str] = config["origins"] or []
    if not origins or origins == ["*"]:
        response.set("Access-Control-Allow-Origin", "*")
        return True
    if filtering:
        response.add("Vary", "Origin")
    else:
        response.set("Vary", "Origin")
    if len(origins) == 1 and _PLAIN.match(origins[0]):
        response.set("Access-Control-Allow-Origin", origins[0])
        return False
    origin = request.header("origin")
    if origin:
        for entry in origins:
            if entry == "*":
                response.set("Access-Control-Allow-Origin", "*")
                return True
            if _matches(entry, origin):
                response.set("Access-Control-Allow-Origin", normalize_origin(origin)[0])
                return False
    response.clear("Access-Control-Allow-Origin")
    return False


def _credentials(config: dict[str, Any], request: KongRequest, response: KongResponse, allow_all: bool) -> None:
    if not config["credentials"]:
        return
    if not allow_all:
        response.set("Access-Control-Allow-Credentials", "true")
        return
    origin = request.header("origin")
    if origin:
        response.add("Vary", "Origin")
        response.set("Access-Control-Allow-Origin", origin)
        response.set("Access-Control-Allow-Credentials", "true")


def access(request: KongRequest, config: dict[str, Any]) -> KongResponse | None:
    """Answer a preflight (200) unless preflight_continue; None lets the request go on."""
    if request.http.method != "OPTIONS" or not request.header("origin"):
        return None
    if not request.header("access-control-request-method"):
        return None
    request.ctx["cors.skip_response_headers"] = True
    if config["preflight_continue"]:
        return None
    response = KongResponse(200)
    allow_all = configure_origin(config, request, response, filtering=False)
    _credentials(config, request, response, allow_all)
    if config["headers"]:
        response.set("Access-Control-Allow-Headers", ",".join(config["headers"]))
    elif request.header("access-control-request-headers"):
        response.set("Access-Control-Allow-Headers", request.header("access-control-request-headers") or "")
    methods = config["methods"]
    response.set("Access-Control-Allow-Methods", ",".join(methods) if methods is not None else DEFAULT_METHODS)
    if config["max_age"] is not None:
        response.set("Access-Control-Max-Age", _lua_number(config["max_age"]))
    if config["private_network"] and request.header("access-control-request-private-network") == "true":
        response.set("Access-Control-Allow-Private-Network", "true")
    return response


def header_filter(request: KongRequest, config: dict[str, Any], response: KongResponse) -> None:
    """The response headers of every answer that was not a preflight the plugin handled."""
    if request.ctx.get("cors.skip_response_headers"):
        return
    allow_all = configure_origin(config, request, response, filtering=True)
    _credentials(config, request, response, allow_all)
    if config["exposed_headers"]:
        response.set("Access-Control-Expose-Headers", ",".join(config["exposed_headers"]))


def _lua_number(value: float) -> str:
    """tostring() of a Lua number: 3600 stays 3600."""
    return str(int(value)) if float(value).is_integer() else repr(value)
