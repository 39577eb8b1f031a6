"""Lambda proxy events as API Gateway (REST) and Kong's aws-lambda plugin (awsgateway_compatible) build them."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]  # as received, in order
    body: bytes
    source_ip: str = "127.0.0.1"

    def header_map(self) -> dict[str, str]:
        """Headers by lower-cased name (the last one wins)."""
        return {k.lower(): v for k, v in self.headers}

    def query_map(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _body(raw: bytes, force_base64: bool) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    if force_base64:
        return base64.b64encode(raw).decode(), True
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True


def rest_event(
    request: HttpRequest,
    resource: str,
    path_parameters: dict[str, str] | None,
    header_list: list[tuple[str, str]],
    *,
    stage: str = "dev",
    authorizer: dict[str, Any] | None = None,
    base64_body: bool = False,
    request_id: str | None = None,
    iam_identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, with the full requestContext (``iam_identity``: the IAM caller's fields
    of ``identity``, on an AWS_IAM route).

    A repeated header is in ``multiValueHeaders`` with every value and in ``headers`` with its last one.
    """
    headers = dict(header_list)
    by_lower_name = {name.lower(): value for name, value in header_list}
    multi_headers: dict[str, list[str]] = {}
    for name, value in header_list:
        multi_headers.setdefault(name, []).append(value)
    query = request.query_map()
    body, encoded = _body(request.body, base64_body)
    now = datetime.now(UTC)
    request_id = request_id or str(uuid.uuid4())
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": by_lower_name.get("host", "127.0.0.1"),
        "domainPrefix": "local",
        "extendedRequestId": request_id,
        "httpMethod": request.method,
        "identity": {
            "sourceIp": request.source_ip,
            "userAgent": by_lower_name.get("user-agent", ""),
            **(iam_identity or {}),
        },
        "path": f"/{stage}{request.path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(time.time() * 1000),
        "resourceId": "local",
        "resourcePath": resource,
        "stage": stage,
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": encoded,
    }
