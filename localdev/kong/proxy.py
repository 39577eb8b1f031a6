"""Kong 3.x serving one request from kong/kong.yml: the router, then each plugin's access phase in
priority order (correlation-id, cors, jwt, rate-limiting, aws-lambda, request-termination) until one
answers, then the header filters and the headers Kong's runloop adds to every response it makes itself."""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from localdev.events import HttpRequest, HttpResponse
from localdev.kong import aws_lambda_plugin, cors_plugin, jwt_plugin, rate_limiting_plugin
from localdev.kong.aws_lambda_plugin import TRADITIONAL_COMPATIBLE, FunctionCaller
from localdev.kong.declarative import KONG_VERSION, KongConfig, RouteMatch
from localdev.kong.http import KongRequest, KongResponse
from localdev.kong.rate_limiting_plugin import RedisConnector

JSON_UTF8 = "application/json; charset=utf-8"
# request-termination's DEFAULT_RESPONSE
DEFAULT_MESSAGES = {
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    500: "An unexpected error occurred",
    502: "Bad Gateway",
    503: "Service unavailable",
}


def _exit(status: int, body: dict[str, Any]) -> KongResponse:
    """kong.response.exit with a table: a JSON body."""
    return KongResponse(status, [("Content-Type", JSON_UTF8)], json.dumps(body, separators=(",", ":")).encode())


def correlation_id(request: KongRequest, config: dict[str, Any]) -> None:
    """correlation-id access: keep the client's id, else generate one and send it upstream."""
    value = request.header(config["header_name"])
    if not value:
        generator = config["generator"]
        if generator == "uuid":
            value = str(uuid.uuid4())
        elif generator == "uuid#counter":
            value = f"{_WORKER_UUID}#{next(_COUNTER)}"
        else:  # tracker
            value = f"127.0.0.1-8000-{os.getpid()}-1-1-{time.time():.3f}"
        request.set_header(config["header_name"], value)
    if config["echo_downstream"]:
        request.ctx["correlation.id"] = value


_WORKER_UUID = str(uuid.uuid4())
_COUNTER = itertools.count(1)


def request_termination(request: KongRequest, config: dict[str, Any], matched: RouteMatch) -> KongResponse | None:
    """request-termination access: answer with the configured status and body (or only when triggered)."""
    status, trigger = config["status_code"], config["trigger"]
    if trigger and trigger.lower() not in request.headers and trigger not in request.args:
        return None
    if config["echo"]:
        echoed = {
            "message": config["message"] or DEFAULT_MESSAGES.get(status),
            "request": {
                "method": request.http.method,
                "path": request.http.path,
                "headers": request.headers,
                "query": request.args,
                "raw_body": request.http.body.decode("utf-8", errors="replace"),
                "uri_captures": {"named": matched.captures},
            },
            "matched_route": {"name": matched.route.name},
        }
        return _exit(status, echoed)
    if config["body"] is not None:
        headers = [("Content-Type", config["content_type"])] if config["content_type"] else []
        return KongResponse(status, headers, config["body"].encode())
    message = config["message"] or DEFAULT_MESSAGES.get(status)
    if message is None:
        return KongResponse(status)
    return _exit(status, {"message": message})


def no_content_filter(response: KongResponse) -> KongResponse:
    """nginx's header filter (ngx_http_header_filter_module) on a 204: the response is header-only and its
    Content-Type, Content-Length and Last-Modified are dropped. The aws-lambda plugin merges the Lambda Invoke
    API's own ``Content-Type: application/json`` into every answer; on a 204 nginx never sends it."""
    if response.status == 204:
        dropped = {"content-type", "content-length", "last-modified"}
        response.headers = [(k, v) for k, v in response.headers if k.lower() not in dropped]
        response.body = b""
    return response


class KongProxy:
    """Serves requests as Kong would with kong.yml loaded; ``call`` runs a function by its name.

    ``hosts`` is the local stand-in for DNS: where a host name in kong.yml (the rate-limiting plugin's Redis)
    is reached, as ``(address, port)``; any other host is connected to as written. ``connect`` replaces the
    Redis connections altogether (tests pass an in-memory Redis).
    """

    def __init__(
        self,
        kong: KongConfig,
        call: FunctionCaller,
        router_flavor: str | None = None,
        hosts: Mapping[str, tuple[str, int]] | None = None,
        connect: RedisConnector | None = None,
    ) -> None:
        self.kong = kong
        self.call = call
        self.router_flavor = router_flavor or os.environ.get("KONG_ROUTER_FLAVOR", TRADITIONAL_COMPATIBLE)
        self.hosts = dict(hosts or {})
        self.connect: RedisConnector = connect or self.redis
        self._redis: dict[tuple[Any, ...], Redis] = {}

    def redis(self, config: dict[str, Any]) -> Redis:
        """A connection as the rate-limiting plugin's redis policy opens one (AUTH and SELECT on connect,
        ``timeout`` ms for connect, send and read, no retry), reused like its keepalive pool."""
        host, port = self.hosts.get(config["host"], (config["host"], config["port"]))
        key = (host, port, config["database"], config["username"], config["password"], config["ssl"])
        if key not in self._redis:
            timeout = config["timeout"] / 1000
            self._redis[key] = Redis(
                host=host,
                port=port,
                db=config["database"],
                username=config["username"],
                password=config["password"],
                ssl=config["ssl"],
                ssl_cert_reqs="required" if config["ssl_verify"] else "none",
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
                protocol=2,
            )
        return self._redis[key]

    def handle(self, http: HttpRequest) -> HttpResponse:
        """Kong's answer to ``http``."""
        started = time.monotonic()
        request = KongRequest.of(http)
        matched = self.kong.route_for(http.method, http.path)
        if matched is None:
            response = _exit(404, {"message": "no Route matched with those values"})
            return self._runloop_headers(request, response, started).to_http()
        plugins = self.kong.plugins_for(matched.route)
        response = self._access(request, matched, plugins)
        rate_limiting_plugin.apply_headers(request, response)
        if "cors" in plugins:
            cors_plugin.header_filter(request, plugins["cors"], response)
        correlation = plugins.get("correlation-id")
        if correlation is not None and correlation["echo_downstream"]:
            response.set(correlation["header_name"], request.ctx.get("correlation.id") or str(uuid.uuid4()))
        return no_content_filter(self._runloop_headers(request, response, started)).to_http()

    def _access(self, request: KongRequest, matched: RouteMatch, plugins: dict[str, dict[str, Any]]) -> KongResponse:
        for name, config in plugins.items():
            answer: KongResponse | None = None
            if name == "correlation-id":
                correlation_id(request, config)
            elif name == "cors":
                answer = cors_plugin.access(request, config)
            elif name == "jwt":
                answer = jwt_plugin.access(request, config, self.kong)
            elif name == "rate-limiting":
                answer = self._rate_limiting(request, matched, config)
            elif name == "aws-lambda":
                answer = aws_lambda_plugin.access(request, matched, config, self.call, self.router_flavor)
            elif name == "request-termination":
                answer = request_termination(request, config, matched)
            if answer is not None:
                return answer
        # No plugin answered: Kong would proxy to the service, which kong.yml never means to happen.
        return _exit(502, {"message": "An invalid response was received from the upstream server"})

    def _rate_limiting(self, request: KongRequest, matched: RouteMatch, config: dict[str, Any]) -> KongResponse | None:
        # A plugin set on the route counts per route; a global one for all routes together.
        on_route = "rate-limiting" in matched.route.plugins
        scope = (matched.route.id if on_route else None, None)
        try:
            return rate_limiting_plugin.access(request, config, scope, matched.route.service_id, self.connect)
        except Exception as error:  # a plugin that raises: Kong logs it and answers 500
            print(f"[rate-limiting] {error}", file=sys.stderr)
            return _exit(500, {"message": "An unexpected error occurred"})

    @staticmethod
    def _runloop_headers(request: KongRequest, response: KongResponse, started: float) -> KongResponse:
        """kong/runloop/handler.lua header_filter.after with the default `headers` setting."""
        response.set("X-Kong-Response-Latency", str(int((time.monotonic() - started) * 1000)))
        response.set("Server", f"kong/{KONG_VERSION}")
        response.set("X-Kong-Request-Id", request.request_id)
        return response
