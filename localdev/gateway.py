"""The local gateway: every route of template.yaml on 127.0.0.1:3000, as Kong or as API Gateway would serve it.

    python -m localdev.gateway [--mode kong|apigw] [--port 3000]

Kong mode (default) routes by kong/kong.yml and runs its jwt plugin; API Gateway mode routes by the
template and runs the Lambda authorizer. Either way the real handlers run in this process, one request
at a time (a Lambda container serves one request at a time too).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import logging
import os
import re
import signal
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from localdev import docs, sigv4
from localdev.events import HttpRequest, HttpResponse, rest_event
from localdev.generate_kong import KONG_REDIS_HOST
from localdev.kong import KongConfig, KongProxy, load_kong
from localdev.kong.aws_lambda_plugin import UnknownFunction
from localdev.kong.declarative import declarative_config
from localdev.paths import database_state, use_lambda_paths
from localdev.payment_provider import PATH_PREFIX as PAYMENT_PROVIDER_PATH
from localdev.payment_provider import FakePaymentProvider, encode
from localdev.runtime import invoke
from localdev.template import Api, Function, read_api

if TYPE_CHECKING:
    from localdev.sqs import KeptSqs

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
# What the local server reads of one request at most (above API Gateway's limit, so its 413 still shows).
MAX_REQUEST_BYTES = API_GATEWAY_MAX_BODY + 1024 * 1024
LOG = logging.getLogger("localdev.gateway")


def from_lambda(result: dict[str, Any]) -> HttpResponse:
    """The HTTP response a proxy integration makes of a handler's return value."""
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    for name, value in (result.get("headers") or {}).items():
        if not any(h[0].lower() == name.lower() for h in headers):
            headers.append((name, str(value)))
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return HttpResponse(int(result.get("statusCode", 200)), headers, raw)


def _json(status: int, body: dict[str, Any] | str, content_type: str = "application/json") -> HttpResponse:
    text = body if isinstance(body, str) else json.dumps(body)
    return HttpResponse(status, [("Content-Type", content_type)], text.encode())


GZIP_MIN_BYTES = 1024  # the functions' default (GatewaySettings.gzip_min_bytes)


def _documentation(request: HttpRequest) -> HttpResponse | None:
    """/openapi.json and Swagger UI at /docs: the local gateway's own pages, in either mode, without a token."""
    found = docs.document(request.method, request.path)
    if found is None:
        return None
    headers = [
        ("Content-Type", found.content_type),
        ("Cache-Control", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("Content-Security-Policy", docs.CONTENT_SECURITY_POLICY),
        ("Vary", "Accept-Encoding"),
    ]
    body = found.body
    use_lambda_paths()  # `python -m localdev.gateway` starts without shared/ on the path
    from storefront.http.entry import accepts_gzip

    # The contract gzips every answer over 1 KiB for a client that takes it; the 1.3 MB spec most of all.
    if len(body) > GZIP_MIN_BYTES and accepts_gzip(request.header_map().get("accept-encoding")):
        body = gzip.compress(body, compresslevel=6)
        headers.append(("Content-Encoding", "gzip"))
    return HttpResponse(200, headers, body)


def kong_hosts(redis_url: str | None) -> dict[str, tuple[str, int]]:
    """What the host names in kong.yml resolve to here: its rate-limiting plugin's Redis is the local one."""
    if not redis_url:
        return {}
    url = urlsplit(redis_url)
    return {KONG_REDIS_HOST: (url.hostname or "127.0.0.1", url.port or 6379)}


class Gateway:
    """Turns HTTP requests into Lambda invocations the way the configured gateway does."""

    def __init__(self, api: Api, kong: KongConfig, mode: str, payment_ledger: Path | None = None) -> None:
        self.api = api
        self.kong = kong
        self.mode = mode
        self.kong_proxy = KongProxy(kong, self._call_function, hosts=kong_hosts(os.environ.get("REDIS_URL")))
        # The fake provider's ledger belongs to the database (every gateway on it sees the same charges).
        self.payment_provider = FakePaymentProvider(ledger_file=payment_ledger)
        self._lock = threading.Lock()

    @property
    def lock(self) -> threading.Lock:
        """Held while a handler runs: requests and the queue pollers take turns, one invocation at a time."""
        return self._lock

    def handle(self, request: HttpRequest) -> HttpResponse:
        documentation = _documentation(request)
        if documentation is not None:
            return documentation
        if request.path.startswith(PAYMENT_PROVIDER_PATH + "/"):  # the fake payment provider: not a route, no lock
            return self._payment_provider(request)
        with self._lock:
            if self.mode == "kong":
                return self._through_kong(request)
            return self._through_api_gateway(request)

    def _payment_provider(self, request: HttpRequest) -> HttpResponse:
        path = request.path.removeprefix(PAYMENT_PROVIDER_PATH)
        answer = self.payment_provider.answer(request.method, path, request.header_map(), request.body)
        status, headers, body = encode(answer)
        return HttpResponse(status, headers, body)

    # --- Kong ---------------------------------------------------------------------------------------
    def _through_kong(self, request: HttpRequest) -> HttpResponse:
        if request.method == "TRACE":  # nginx refuses TRACE before Kong routes; Kong's error handler answers
            return _json(405, {"message": "Method not allowed"})
        return self.kong_proxy.handle(request)

    def _call_function(self, function_name: str, event: dict[str, Any]) -> Any:
        """What Kong's aws-lambda plugin invokes: the template's function of that name."""
        try:
            function = self.api.by_name(function_name)
        except KeyError:
            raise UnknownFunction(function_name) from None
        return invoke(function.handler, function.function_name, event, function.environment)

    # --- API Gateway ------------------------------------------------------------------------------
    def _through_api_gateway(self, request: HttpRequest) -> HttpResponse:
        context: dict[str, Any] = {
            "requestId": str(uuid.uuid4()),
            "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        }
        match = self._match(request)
        if match is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", context, request)
        function, resource, parameters = match
        if len(request.body) > API_GATEWAY_MAX_BODY:
            return self._gateway_response("REQUEST_TOO_LARGE", context, request, parameters)
        authorizer_context = None
        iam_identity: dict[str, str] | None = None
        if function.iam:  # AWS_IAM: a SigV4 signature of a known IAM user, checked by API Gateway itself
            caller = sigv4.verify(request)
            if isinstance(caller, str):
                return self._gateway_response(caller, context, request, parameters)
            iam_identity = caller.identity()
        elif not function.public and self.api.authorizer is not None:
            decision = self._authorize(request, resource)
            if isinstance(decision, str):
                return self._gateway_response(decision, context, request, parameters)
            if decision.get("effect") != "Allow":
                denied = {**context, "authorizer": decision["context"]}
                return self._gateway_response("ACCESS_DENIED", denied, request, parameters)
            # API Gateway hands every context value to the function as a string (1 -> "1", True -> "true").
            context_text = {k: json.dumps(v) if isinstance(v, bool) else str(v) for k, v in decision["context"].items()}
            authorizer_context = {**context_text, "principalId": decision["principalId"]}
        event = rest_event(
            request,
            resource,
            parameters,
            request.headers,
            authorizer=authorizer_context,
            request_id=context["requestId"],
            base64_body="*/*" in self.api.binary_media_types,
            iam_identity=iam_identity,
        )
        if iam_identity is not None:
            event["requestContext"]["identity"].update(iam_identity)
        return self._invoke(
            function, event, lambda: self._gateway_response("DEFAULT_5XX", context, request, parameters)
        )

    def _match(self, request: HttpRequest) -> tuple[Function, str, dict[str, str]] | None:
        """The resource and method API Gateway picks: a resource's literal segments beat path variables,
        and a method the matching resource lacks falls through to a greedy {proxy+} resource."""
        candidates = []
        for function in self.api.functions.values():
            for route in function.routes:
                found = route.pattern.match(request.path)
                if found and route.method in (request.method, "ANY"):
                    # Literal segments beat path variables; on one resource its own method beats ANY.
                    literal = len(re.sub(r"\{[^}]*\}", "", route.path))
                    specificity = ("+}" not in route.path, literal, route.method == request.method)
                    candidates.append((specificity, function, route.path, found.groupdict()))
        if not candidates:
            return None
        _, function, resource, parameters = max(candidates, key=lambda c: c[0])
        return function, resource, parameters

    def _authorize(self, request: HttpRequest, resource: str) -> dict[str, Any] | str:
        authorizer = self.api.authorizer
        assert authorizer is not None
        token = request.header_map().get(authorizer.header.lower())
        if not token or (authorizer.validation is not None and not authorizer.validation.match(token)):
            return "UNAUTHORIZED"
        function = self.api.functions[authorizer.function]
        event = {
            "type": "TOKEN",
            "authorizationToken": token,
            "methodArn": f"arn:aws:execute-api:eu-west-1:123456789012:local/dev/{request.method}{resource}",
        }
        try:
            result = invoke(function.handler, function.function_name, event, function.environment)
        except Exception:  # an authorizer that fails is AUTHORIZER_FAILURE, as in API Gateway
            return "AUTHORIZER_FAILURE"
        statement = result["policyDocument"]["Statement"][0]
        return {
            "effect": statement["Effect"],
            "principalId": result.get("principalId", ""),
            "context": result.get("context") or {},
        }

    def _gateway_response(
        self, kind: str, context: dict[str, Any], request: HttpRequest, parameters: dict[str, str] | None = None
    ) -> HttpResponse:
        response = self.api.responses.get(kind)
        if response is None:
            return _json(403 if kind == "MISSING_AUTHENTICATION_TOKEN" else 500, {"message": kind})

        def substitute(found: re.Match[str]) -> str:
            value: Any = {"context": context}
            for part in found.group(1).split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            return str(value)

        body = re.sub(r"\$(context(?:\.\w+)+)", substitute, response.template)
        query = {k: v[-1] for k, v in request.query_map().items()}
        headers = response.render_headers(request.header_map(), query, parameters or {})
        return HttpResponse(response.status, headers, body.encode())

    def _invoke(self, function: Function, event: dict[str, Any], on_error: Callable[[], HttpResponse]) -> HttpResponse:
        """The handler's answer; a handler that raises is the gateway's 5xx, as in AWS (the trace is printed)."""
        try:
            return from_lambda(invoke(function.handler, function.function_name, event, function.environment))
        except Exception:
            traceback.print_exc()
            return on_error()


# nginx's refusals before Kong routes anything, as Kong 3.x's error handler answers them (kong/error_handlers.lua;
# nginx_kong.lua: `error_page 494 =494`, so an over-long header is 494, not nginx's usual 400).
KONG_PROXY_REFUSALS = {414: (414, "URI too long"), 431: (494, "Request header or cookie too large")}


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            return
        # Header values without surrounding whitespace, as nginx and API Gateway hand them on.
        headers = [(name, value.strip(" \t")) for name, value in self.headers.items()]
        request = HttpRequest(self.command, url.path, url.query, headers, body, self.client_address[0])
        self._send(self.gateway.handle(request))

    def _read_body(self) -> bytes | None:
        """The request body (chunked or by Content-Length); None once a refusal has been sent."""
        codings = self.headers.get_all("Transfer-Encoding") or []
        if codings:
            # nginx (in front of Kong and API Gateway alike) takes exactly "chunked" and nothing else.
            if len(codings) > 1 or codings[0].strip().lower() != "chunked":
                self._refuse(501, b"Not Implemented: unknown Transfer-Encoding")
                return None
            return self._read_chunked()
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if len(lengths) > 1 or any(not v.isdigit() for v in lengths):  # nginx: 400 before routing
            self._refuse(400, b"Bad Request: invalid Content-Length")
            return None
        length = int(lengths.pop()) if lengths else 0
        if length > MAX_REQUEST_BYTES:
            self._refuse(413, b"Request Entity Too Large")
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        body = b""
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            if not size_line or any(c not in b"0123456789abcdefABCDEF" for c in size_line):
                self._refuse(400, b"Bad Request: invalid chunk")
                return None
            size = int(size_line, 16)
            if len(body) + size > MAX_REQUEST_BYTES:
                self._refuse(413, b"Request Entity Too Large")
                return None
            if size == 0:
                trailer = self.rfile.readline(1024)
                while trailer not in (b"\r\n", b"\n", b""):  # trailer fields are read and not used
                    trailer = self.rfile.readline(1024)
                return body
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def _refuse(self, status: int, text: bytes) -> None:
        """The front proxy's own refusal, before any route: JSON ``{"message": ...}`` as Kong's error handler
        and API Gateway answer theirs, and the connection closed."""
        self.close_connection = True
        message = json.dumps({"message": text.decode()}).encode()
        self._send(HttpResponse(status, [("Content-Type", "application/json")], message))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a bad request line, an over-long URI or header, HTTP/2): the same JSON
        as ``_refuse`` instead of its HTML page, outside the contract's envelope as the real front proxies answer
        them (no function runs); in Kong mode with Kong's status and message (``KONG_PROXY_REFUSALS``). On a bad
        request line http.server still thinks it speaks HTTP/0.9 and would send no status line at all, so the
        answer is HTTP/1.1."""
        self.request_version = "HTTP/1.1"
        reason = message or self.responses.get(code, ("Error",))[0]
        if self.gateway.mode == "kong" and code in KONG_PROXY_REFUSALS:
            code, reason = KONG_PROXY_REFUSALS[code]
        self._refuse(code, reason.encode())

    def _send(self, response: HttpResponse) -> None:
        """Write ``response``; a client that went away meanwhile (it gave up waiting, e.g. on a tok_timeout
        charge) is one debug line, not a traceback on the console."""
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError) as gone:
            self.close_connection = True
            LOG.debug("client %s went away before the answer was sent: %s", self.client_address[0], gone)

    def _write(self, response: HttpResponse) -> None:
        # The gateway's headers only: no http.server Server header (Kong names itself; API Gateway sends none).
        self.log_request(response.status)
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        sent = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        if "content-type" not in sent and response.body:
            self.send_header("Content-Type", "application/json")
        if response.status != 204:  # RFC 9110: no Content-Length on a 204, which has no body at all
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.status != 204:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815 - the base class names them

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) reaches the gateway, which answers it as Kong or API
        # Gateway does, instead of http.server's own 501 page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if os.environ.get("GATEWAY_ACCESS_LOG", "1") != "0":
            super().log_message(format, *args)


def serve(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``gateway`` (not yet serving: call serve_forever)."""
    handler = type("Handler", (_Handler,), {"gateway": gateway})
    server = _Server((host, port), handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a burst of clients queues instead of being reset (the default backlog is 5)


def _stop(signum: int, frame: object) -> None:
    """`kill` stops the gateway like Ctrl-C, so it releases the shared cache stand-in on the way out."""
    raise KeyboardInterrupt


def _port(value: str) -> int:
    """A TCP port number, for argparse (its error names the bad value instead of a traceback)."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"PORT must be a number from 1 to 65535, not {value!r}")
    return int(value)


def next_free_port(host: str, start: int, tries: int = 50) -> int | None:
    """The first port from ``start`` on that ``host`` lets a server bind now (None if none of ``tries``)."""
    for port in range(start, min(start + tries, 65536)):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    return None


def payment_provider_url(host: str, port: int) -> str:
    """Where the functions reach the fake payment provider this gateway serves."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{f'[{reachable}]' if ':' in reachable else reachable}:{port}{PAYMENT_PROVIDER_PATH}"


def repoint_sqs(kept: KeptSqs, api: Api, lock: threading.Lock) -> tuple[Any, dict[str, str]]:
    """After a failed poll: the SQS client and queue URLs to poll now. When the local SQS moved (its owner, the
    first `make run` on this database, stopped), the functions get the new endpoint and queue URLs and their
    adapters are rebuilt (``bootstrap.reset``), between invocations, so their publishers send to it."""
    with lock:  # no function runs while its environment changes
        before = kept.current
        now = kept.recover()
        if now is not before:
            os.environ.update(now.environment(api))
            from storefront import bootstrap

            bootstrap.reset()
    return now.client(), now.urls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve every API route of template.yaml locally.")
    parser.add_argument("--mode", choices=["kong", "apigw"], default=os.environ.get("GATEWAY_MODE", "kong"))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=_port, default=os.environ.get("PORT", "3000"))
    args = parser.parse_args(argv)

    from localdev.poller import EventSources, schedule_override
    from localdev.sqs import kept_sqs
    from localdev.stack import local_stack

    signal.signal(signal.SIGTERM, _stop)
    # Before the stack starts anything that may invoke a function: the fake provider this gateway serves.
    os.environ["PAYMENT_PROVIDER_URL"] = payment_provider_url(args.host, args.port)
    api = read_api()
    with (
        local_stack(args.mode, os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"), args.port) as env,
        kept_sqs(api, database_url=env["DATABASE_URL"]) as kept,  # the queues of this database's run
    ):
        sqs = kept.current
        os.environ.update(sqs.environment(api))
        try:
            ledger = database_state("payments", env["DATABASE_URL"])
            gateway = Gateway(api, load_kong(declarative_config()), args.mode, payment_ledger=ledger)
            server = serve(gateway, args.host, args.port)
        except OSError as error:
            free = next_free_port(args.host, args.port + 1)
            hint = f" (choose another: PORT={free})" if free is not None else ""
            message = f"cannot serve on {args.host}:{args.port}: {error.strerror}{hint}"
            raise SystemExit(message) from None
        routes = sum(len(f.routes) for f in api.functions.values())
        base = f"http://{args.host}:{args.port}/KONGAPI/api/v1"
        print(f"Storefront local gateway ({args.mode} mode): {base} ({routes} routes)")
        print(f"  database {env['DATABASE_URL']}, redis {env['REDIS_URL']}")
        print(f"  API docs: http://{args.host}:{args.port}/docs (OpenAPI: /openapi.json)")
        print(f"  fake payment provider: {os.environ['PAYMENT_PROVIDER_URL']} (ledger: /v1/ledger)")
        print(f"  SQS (moto) {sqs.endpoint}: {len(sqs.urls)} queues from template.yaml")
        sources = EventSources(
            api.functions.values(),
            api.queues,
            sqs.urls,
            sqs.client(),
            lock=gateway.lock,
            schedule_seconds=schedule_override(),
            recover=partial(repoint_sqs, kept, api, gateway.lock),
        )
        for line in sources.start():
            print(f"  {line}")
        print("  get a token: make token ROLE=admin", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped")
        finally:
            sources.stop()
            gateway.payment_provider.close()
            server.server_close()


if __name__ == "__main__":
    main()
