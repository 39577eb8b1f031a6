"""Kong 3.x's aws-lambda plugin (kong/plugins/aws-lambda/handler.lua and request-util.lua).

With ``awsgateway_compatible`` the function gets ``aws_serializer``'s event: version 1.0, lower-cased
headers (the first value of a repeated header in ``headers``, all in ``multiValueHeaders``), uri args as
ngx reads them (a bare ``?flag`` is the boolean true), the route's named regex captures as
``pathParameters``, the body base64-encoded unless ``base64_encode_body`` is off (an empty body too), and a
``requestContext`` of ten fields: no stage, no authorizer, no account or api id. ``resource`` is the
matched route path under ``router_flavor = traditional`` and absent under Kong 3's default
``traditional_compatible`` (that router does not record it).

Without ``is_proxy_integration`` Kong answers what the Lambda Invoke API answered: status 200 and the
function's return value as a JSON body. With it, the value must be a proxy response (statusCode 100..599,
headers an object, body a string, isBase64Encoded a boolean) or Kong answers 502.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localdev.kong.declarative import KONG_VERSION, RouteMatch
from localdev.kong.http import KongRequest, KongResponse, first

TRADITIONAL_COMPATIBLE = "traditional_compatible"
JSON_UTF8 = "application/json; charset=utf-8"


@dataclass
class Invocation:
    """What the Lambda Invoke API answered: its status, its headers, the payload the function returned."""

    status: int
    payload: Any
    headers: list[tuple[str, str]] = field(default_factory=list)
    function_error: bool = False


class UnknownFunction(LookupError):
    """No function has the name the plugin invokes (the Invoke API's ResourceNotFoundException)."""


# (function_name, event) -> the function's return value; raises UnknownFunction for an unknown name.
FunctionCaller = Callable[[str, dict[str, Any]], Any]


def aws_serializer(
    request: KongRequest,
    matched: RouteMatch,
    config: dict[str, Any],
    router_flavor: str = TRADITIONAL_COMPATIBLE,
    started: float | None = None,
) -> dict[str, Any]:
    """The awsgateway_compatible event, field for field as request-util.lua builds it."""
    headers = {name: first(value) for name, value in request.headers.items()}
    multi_headers = {name: value if isinstance(value, list) else [value] for name, value in request.headers.items()}
    query = {name: value[0] if isinstance(value, list) else value for name, value in request.args.items()}
    multi_query = {name: value if isinstance(value, list) else [value] for name, value in request.args.items()}
    path = matched.route.upstream_path(matched, request.http.path)
    started = time.time() if started is None else started  # ngx.req.start_time()
    context: dict[str, Any] = {
        "path": path,
        "protocol": "HTTP/1.1",
        "httpMethod": request.http.method,
        "domainName": _host(request),
        "domainPrefix": _host(request).split(".")[0],
        "identity": {"sourceIp": request.http.source_ip},
        "requestId": request.request_id,
        "requestTime": datetime.fromtimestamp(int(started), UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(started * 1000),
        "resourcePath": path,
    }
    if "user-agent" in headers:
        context["identity"]["userAgent"] = headers["user-agent"]
    event: dict[str, Any] = {
        "version": "1.0",
        "path": path,
        "httpMethod": request.http.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "pathParameters": dict(matched.captures),
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "isBase64Encoded": False,
        "requestContext": context,
    }
    if router_flavor == "traditional":
        event["resource"] = matched.path
    body = _body(request, config)
    if body is not None and config["base64_encode_body"]:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    elif body is not None:
        event["body"] = body.decode("utf-8", errors="replace")
    return event


def _host(request: KongRequest) -> str:
    """nginx's $host: the Host header without its port, lower-cased."""
    host = first(request.headers.get("host")) or request.http.header_map().get("host") or "localhost"
    return host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()


def _body(request: KongRequest, config: dict[str, Any]) -> bytes | None:
    """read_request_body: nginx keeps no body data for an empty body (nil), which encodes to ""."""
    if not request.http.body:
        return b"" if config["base64_encode_body"] else None
    return request.http.body


def invoke(call: FunctionCaller, function_name: str, event: dict[str, Any], config: dict[str, Any]) -> Invocation:
    """The Lambda Invoke API: 404 for an unknown function, X-Amz-Function-Error when it raised."""
    request_id = str(uuid.uuid4())
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("X-Amz-Executed-Version", "$LATEST"),
        ("X-Amzn-Trace-Id", f"root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};sampled=0"),
    ]
    if config["log_type"] == "Tail":  # the last 4 KB of the function's log, base64-encoded
        tail = f"START RequestId: {request_id} Version: $LATEST\nEND RequestId: {request_id}\n"
        headers.append(("X-Amz-Log-Result", base64.b64encode(tail.encode()).decode()))
    if config["invocation_type"] == "DryRun":
        return Invocation(204, None, headers)
    try:
        payload = call(function_name, event)
    except UnknownFunction:
        return Invocation(404, {"Message": f"Function not found: {function_name}"}, headers)
    except Exception as error:  # what the Python runtime reports for an unhandled exception
        traceback.print_exc()
        payload = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
        return Invocation(200, payload, [*headers, ("X-Amz-Function-Error", "Unhandled")], True)
    if config["invocation_type"] == "Event":
        return Invocation(202, None, headers)
    return Invocation(200, json.loads(json.dumps(payload)), headers)


def proxy_response(payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """extract_proxy_response: ValueError carries Kong's reason when the payload is not a proxy response."""
    if not isinstance(payload, dict):
        raise ValueError("proxy response must be json format")
    status = payload.get("statusCode")
    if isinstance(status, str):
        status = int(status) if status.strip().lstrip("-").isdigit() else None
    if isinstance(status, bool) or not isinstance(status, int | float) or not 100 <= status <= 599:
        raise ValueError("statusCode validation failed")
    if "headers" in payload and not isinstance(payload["headers"], dict):
        raise ValueError("headers must be a table")  # JSON null is not nil in Lua: it fails too
    if "body" in payload and not isinstance(payload["body"], str):
        raise ValueError("body must be a string")
    if "isBase64Encoded" in payload and not isinstance(payload["isBase64Encoded"], bool):
        raise ValueError("isBase64Encoded must be a boolean")
    headers: dict[str, list[str]] = {k: [_lua_string(v)] for k, v in (payload.get("headers") or {}).items()}
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers[name] = [_lua_string(v) for v in (values if isinstance(values, list) else [values])]
    body = payload.get("body") or ""
    raw = base64.b64decode(body, validate=True) if payload.get("isBase64Encoded") is True else body.encode()
    headers["Content-Length"] = [str(len(raw))]
    return int(status), [(k, v) for k, values in headers.items() for v in values], raw


def _lua_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _legacy_empty_arrays(value: Any) -> Any:
    """empty_arrays_mode = legacy: an empty JSON array in the function's answer goes out as {}."""
    if isinstance(value, list):
        return [_legacy_empty_arrays(v) for v in value] if value else {}
    if isinstance(value, dict):
        return {k: _legacy_empty_arrays(v) for k, v in value.items()}
    return value


def access(
    request: KongRequest, matched: RouteMatch, config: dict[str, Any], call: FunctionCaller, flavor: str
) -> KongResponse:
    """The plugin's access phase: invoke the function and answer for it (the plugin always answers)."""
    if not config["awsgateway_compatible"]:
        raise NotImplementedError("only awsgateway_compatible payloads are emulated")
    event = aws_serializer(request, matched, config, flavor)
    result = invoke(call, config["function_name"], event, config)
    if result.status >= 400:  # handler.lua raises error(content.Message): Kong's generic 500
        return KongResponse(500, [("Content-Type", JSON_UTF8)], b'{"message":"An unexpected error occurred"}')
    headers = list(result.headers)
    status: int | None = None
    body: bytes
    if config["is_proxy_integration"]:
        try:
            status, proxy_headers, body = proxy_response(result.payload)
        except (ValueError, binascii.Error) as error:
            message = {"message": "Bad Gateway", "error": f"could not JSON decode Lambda function response: {error}"}
            body = json.dumps(message, separators=(",", ":")).encode()
            return KongResponse(502, [("Content-Type", JSON_UTF8)], body)
        names = {name.lower() for name, _ in proxy_headers}
        headers = [h for h in headers if h[0].lower() not in names] + proxy_headers
    else:
        content = result.payload
        if config["empty_arrays_mode"] == "legacy":
            content = _legacy_empty_arrays(content)
        body = b"" if content is None else json.dumps(content, separators=(",", ":")).encode()
    if status is None:
        unhandled = config["unhandled_status"]
        status = unhandled if unhandled and result.function_error else result.status
    headers = [h for h in headers if h[0].lower() != "content-length"]
    headers.append(("Via", f"1.1 kong/{KONG_VERSION}"))
    return KongResponse(status, headers, body)
