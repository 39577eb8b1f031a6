"""Kong 3.x's rate-limiting plugin (kong/plugins/rate-limiting/handler.lua, policies/init.lua), redis policy.

Per request, for every configured period (second .. year), the redis policy runs Kong's own script on
``ratelimit:<route id>:<service id>:<identifier>:<period start in ms>:<period>``: INCR (and EXPIRE on the
first), answering the count *before* this request. So every request counts, refused ones included, in
fixed calendar windows (a minute from :00, a month from the 1st). A period whose count has reached its
limit stops the request with ``kong.response.error(error_code, error_message)``: Kong's error template for
the client's Accept type (JSON by default: ``{"message": ..., "request_id": ...}``), not the envelope.
Unless ``hide_client_headers``, the response carries ``RateLimit-Limit/Remaining/Reset`` and
``X-RateLimit-Limit-<Period>`` / ``X-RateLimit-Remaining-<Period>``, and a refusal ``Retry-After``.

The identifier is ``limit_by``'s (the consumer, the credential, the service, a header, the path) or, when
that gives nothing, ``kong.client.get_forwarded_ip()``: the client's address (the emulation has no
``trusted_ips``, so it is the TCP peer). ``route id`` is the route's for a plugin set on a route and the
empty UUID for a global one (each route counts apart, or all together).

Redis unreachable: ``fault_tolerant`` (the default) logs and lets the request through without headers;
otherwise the plugin raises and Kong answers 500 ``{"message":"An unexpected error occurred"}``.
``sync_rate`` other than -1 (counters kept in the worker and synced in batches) is not emulated.
The host in ``config.redis`` is resolved by the local gateway's table (as DNS would resolve it for Kong).
"""

from __future__ import annotations

import calendar
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from localdev.kong.http import KongRequest, KongResponse

EMPTY_UUID = "00000000-0000-0000-0000-000000000000"
PERIODS = ("second", "minute", "hour", "day", "month", "year")
EXPIRATION = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "month": 2592000, "year": 31536000}
# The redis policy's usage script, as policies/init.lua sends it.
USAGE = """
        local cache_key, expiration = KEYS[1], ARGV[1]
        local result_incr = redis.call("incr", cache_key)
        if result_incr == 1 then
          redis.call("expire", cache_key, expiration)
        end

        return result_incr - 1
      """


class RedisClient(Protocol):
    def eval(self, script: str, numkeys: int, *keys_and_args: Any) -> Any: ...


# config.redis -> a client connected as the plugin would connect (raises what redis-py raises)
RedisConnector = Callable[[dict[str, Any]], RedisClient]


def timestamps(now_ms: int) -> dict[str, int]:
    """kong.tools.timestamp.get_timestamps: the start of each period containing ``now_ms`` (UTC, ms)."""
    moment = datetime.fromtimestamp(now_ms // 1000, UTC)
    starts = {
        "second": moment,
        "minute": moment.replace(second=0),
        "hour": moment.replace(minute=0, second=0),
        "day": moment.replace(hour=0, minute=0, second=0),
        "month": moment.replace(day=1, hour=0, minute=0, second=0),
        "year": moment.replace(month=1, day=1, hour=0, minute=0, second=0),
    }
    return {period: calendar.timegm(start.timetuple()) * 1000 for period, start in starts.items()}


def identifier(request: KongRequest, config: dict[str, Any], service_id: str) -> str:
    """get_identifier: ``limit_by``'s value, else the forwarded client address."""
    limit_by = config["limit_by"]
    found: str | None = None
    if limit_by == "service":
        found = service_id
    elif limit_by == "consumer":
        consumer = request.ctx.get("authenticated_consumer") or request.ctx.get("authenticated_credential")
        found = consumer.id if consumer is not None else None
    elif limit_by == "credential":
        credential = request.ctx.get("authenticated_credential")
        found = credential.id if credential is not None else None
    elif limit_by == "header":
        found = request.header(config["header_name"])
    elif limit_by == "path" and request.http.path == config["path"]:
        found = request.http.path
    return found or request.http.source_ip


def access(
    request: KongRequest,
    config: dict[str, Any],
    scope: tuple[str | None, str | None],
    service_id: str,
    connect: RedisConnector,
    clock: Callable[[], float] = time.time,
) -> KongResponse | None:
    """The plugin's access phase: None to go on (rate-limit headers kept in ``request.ctx``), or Kong's 429.

    ``scope`` is the plugin's (route id, service id): the route's id for a plugin on a route, None for a
    global one. ``service_id`` is the matched route's service (``limit_by: service``).
    """
    if config["policy"] != "redis" or config["sync_rate"] != -1:
        raise NotImplementedError("only the redis policy with sync_rate -1 is emulated")
    now_ms = int(clock()) * 1000  # ngx.time() * 1000
    route_id, plugin_service_id = (scope[0] or EMPTY_UUID), (scope[1] or EMPTY_UUID)
    who = identifier(request, config, service_id)
    limits = {period: config[period] for period in PERIODS if config[period] is not None}
    starts = timestamps(now_ms)
    usage: dict[str, tuple[float, float]] = {}
    stop: str | None = None
    try:
        client = connect(config["redis"])
        for period, limit in limits.items():
            key = f"ratelimit:{route_id}:{plugin_service_id}:{who}:{_lua_number(starts[period])}:{period}"
            current = int(client.eval(USAGE, 1, key, EXPIRATION[period]) or 0)
            remaining = limit - current
            usage[period] = (limit, remaining)
            if remaining <= 0:
                stop = period
    except Exception as error:  # redis-py's errors: what the policy's `err` would carry
        if not config["fault_tolerant"]:
            raise
        print(f"[rate-limiting] failed to get usage: {error}", file=sys.stderr)
        return None
    headers: dict[str, str] = {}
    reset = 0
    if not config["hide_client_headers"]:
        headers, reset = _client_headers(usage, stop, now_ms, starts)
        request.ctx["rate-limiting.headers"] = headers
    if stop is None:
        return None
    response = kong_error(request, config["error_code"], config["error_message"])
    if not config["hide_client_headers"]:
        for name, value in {**headers, "Retry-After": str(reset)}.items():
            response.set(name, value)
    return response


def _client_headers(
    usage: dict[str, tuple[float, float]], stop: str | None, now_ms: int, starts: dict[str, int]
) -> tuple[dict[str, str], int]:
    """The handler's header rule: each period's limit and remaining (this request counted), and the
    RateLimit-* of the period with the fewest left (the longer on a tie)."""
    headers: dict[str, str] = {}
    chosen: tuple[float, float, int] | None = None  # remaining, limit, window
    reset = 0
    for period, (limit, remaining) in usage.items():
        if stop is None or stop == period:
            remaining -= 1
        remaining = max(0, remaining)
        window = EXPIRATION[period]
        if chosen is None or remaining < chosen[0] or (remaining == chosen[0] and window > chosen[2]):
            chosen = (remaining, limit, window)
            reset = max(1, window - (now_ms - starts[period]) // 1000)
        headers[f"X-RateLimit-Limit-{period.capitalize()}"] = _lua_number(limit)
        headers[f"X-RateLimit-Remaining-{period.capitalize()}"] = _lua_number(remaining)
    if chosen is not None:
        headers["RateLimit-Limit"] = _lua_number(chosen[1])
        headers["RateLimit-Remaining"] = _lua_number(chosen[0])
        headers["RateLimit-Reset"] = str(reset)
    return headers, reset


def apply_headers(request: KongRequest, response: KongResponse) -> None:
    """The headers set in the access phase stay on the response, unless the response sets the same name."""
    for name, value in (request.ctx.get("rate-limiting.headers") or {}).items():
        if response.get(name) is None:
            response.set(name, value)


def _lua_number(value: float) -> str:
    """tostring of a Lua (LuaJIT) number: ``%.14g``."""
    return f"{value:.14g}"


# kong.tools.http: Accept -> the error template's media type (JSON by default).
_TYPES = {
    "application/json": "application/json; charset=utf-8",
    "text/html": "text/html; charset=utf-8",
    "application/xml": "application/xml; charset=utf-8",
    "text/plain": "text/plain; charset=utf-8",
    "application": "application/json; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
_DEFAULT_TYPE = "application/json; charset=utf-8"
_ACCEPT = re.compile(
    r"^((?:[a-z0-9][a-z0-9-!#$&^_+.]+|\*)/(?:[a-z0-9][a-z0-9-!#$&^_+.]+|\*))"
    r"(?:\s*;\s*q=(1(?:\.0{0,3}|)|0(?:\.\d{0,3}|))|\s*;\s*[a-z0-9][a-z0-9-!#$&^_+.]+(?:=[^;]*|))*",
    re.IGNORECASE,
)
_TEMPLATES = {
    "application/json; charset=utf-8": '{\n  "message":"%s",\n  "request_id":"%s"\n}',
    "text/html; charset=utf-8": (
        '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n'
        "  <body>\n    <h1>Error</h1>\n    <p>%s.</p>\n    <p>request_id: %s</p>\n  </body>\n</html>\n"
    ),
    "application/xml; charset=utf-8": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>%s</message>\n'
        "  <requestid>%s</requestid>\n</error>\n"
    ),
    "text/plain; charset=utf-8": "%s\nrequest_id: %s\n",
}


def response_type(accept: str | None) -> str:
    """get_response_type: the media type of the best-rated acceptable entry (the first on a tie)."""
    chosen, best = _DEFAULT_TYPE, 0.0
    for entry in (accept or "").split(","):
        found = _ACCEPT.match(entry.strip())
        if found is None:
            continue
        quality = float(found.group(2)) if found.group(2) else 1.0
        if quality > best:
            best = quality
            chosen = _mime_type(found.group(1)) or chosen
    return chosen


def _mime_type(media_type: str) -> str:
    main, _, sub = media_type.partition("/")
    if sub == "*":
        return _DEFAULT_TYPE if main == "*" else _TYPES.get(main, _DEFAULT_TYPE)
    return _TYPES.get(media_type, _DEFAULT_TYPE)


def kong_error(request: KongRequest, status: int, message: str) -> KongResponse:
    """kong.response.error: Kong's error template for the Accept type, with Kong's request id."""
    content_type = response_type(request.header("accept"))
    body = _TEMPLATES[content_type] % (message, request.request_id)
    return KongResponse(int(status), [("Content-Type", content_type)], body.encode())
