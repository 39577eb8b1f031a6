"""What the OpenAPI document says about every route: envelope models, error responses, headers, security.

Routes pass these to their decorators (``responses=``, ``security=``, ``tags=``); nothing here runs per
request. The models describe the JSON that ``envelope`` writes, and tests keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, cast

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from storefront.domain.errors import ErrorCode

TITLE = "Storefront API"
API_VERSION = "1.0.0"
BEARER_SCHEME = "bearerAuth"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An HS256 access token (claims iss, sub, role, tenant_id, exp); locally: make token ROLE=admin.",
    }
}
SIGV4_SCHEME = "sigv4"
SERVICE_NAME_SCHEME = "serviceName"
SERVICE_KEY_SCHEME = "serviceKey"
SECURITY_SCHEMES.update(
    {
        SIGV4_SCHEME: {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
            "description": "AWS Signature Version 4 (execute-api) of an IAM principal allowed execute-api:Invoke: the "
            "internal routes behind API Gateway. Behind Kong the operational ones (health, ready, live, metrics) take "
            "a bearer token of the service or admin role instead; /api/v1/internal/* are served by API Gateway only.",
        },
        SERVICE_NAME_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": "X-Service-Name",
            "description": "The calling service's name (service routes, with a service-role token and its key).",
        },
        SERVICE_KEY_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "An active key of that service; locally: make service-key SERVICE=<name>.",
        },
    }
)
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
# The operational internal routes: IAM behind API Gateway, a service's or an admin's token behind Kong.
INTERNAL: list[dict[str, list[str]]] = [{SIGV4_SCHEME: []}, {BEARER_SCHEME: []}]
# The contract's S routes: a service-role token AND the service's name and key, all three at once.
SERVICE: list[dict[str, list[str]]] = [{BEARER_SCHEME: [], SERVICE_NAME_SCHEME: [], SERVICE_KEY_SCHEME: []}]
# Paths keep the template's /KONGAPI/api/v1 prefix, so a server is only where the gateway is.
SERVERS: list[dict[str, Any]] = [
    {"url": "/", "description": "The gateway serving this document (make run: http://127.0.0.1:3000)."},
    {
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "A deployed stack's API Gateway stage (template.yaml).",
        "variables": {
            "api_id": {"default": "api-id", "description": "The REST API id (stack output)."},
            "region": {"default": "eu-west-1"},
            "stage": {"default": "dev", "enum": ["dev", "staging", "prod"]},
        },
    },
]
PRODUCTS_TAG = "products"

_STRING = {"type": "string"}


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent() -> Any:
    """A field that is left out of the JSON when it has no value (never ``null``)."""
    return Field(default=None, json_schema_extra=_drop_default)


class Pagination(BaseModel):
    """Where a page stands in the whole collection (``meta.pagination``)."""

    limit: int = Field(ge=1, le=100)
    offset: int | None = Field(ge=0, le=10_000, description="null on a page reached by cursor")
    total: int = Field(ge=0, le=10_000, description="exact up to 10,000 matches; 10000 beyond (see total_exact)")
    total_exact: bool = Field(description="false when more than 10,000 match and total is capped")
    has_next: bool
    has_prev: bool
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class Meta(BaseModel):
    """`meta` of every envelope."""

    timestamp: str = Field(
        description="When the answer was made: ISO-8601 UTC; API Gateway's own refusals use its "
        "requestTime format (24/Nov/2026:10:00:00 +0000)."
    )
    request_id: str = Field(description="The gateway's request id: Kong's (its X-Kong-Request-Id) or API Gateway's.")
    trace_id: str = Field(description="The X-Ray trace id; empty when tracing is off.")


class PageMeta(Meta):
    """`meta` of a collection page."""

    pagination: Pagination


class FieldProblem(BaseModel):
    """One bad input field."""

    field: str
    code: ErrorCode
    reason: str


class ErrorDetails(BaseModel):
    """What a client can act on; validation errors name the first bad field and list all of them."""

    field: str | SkipJsonSchema[None] = absent()
    reason: str | SkipJsonSchema[None] = absent()
    errors: list[FieldProblem] | SkipJsonSchema[None] = absent()
    errors_omitted: int | SkipJsonSchema[None] = Field(
        default=None, ge=1, json_schema_extra=_drop_default, description="Field errors beyond the 50 listed."
    )
    current_version: int | SkipJsonSchema[None] = absent()
    components: dict[str, Literal["up", "down"]] | SkipJsonSchema[None] = Field(
        default=None,
        json_schema_extra=_drop_default,
        description="SYS_003 of a readiness probe: each component checked (database, redis) and its state.",
    )
    retry_after_seconds: int | SkipJsonSchema[None] = Field(
        default=None, ge=1, description="RATE_001: the Retry-After header's value.", json_schema_extra=_drop_default
    )


class ErrorBody(BaseModel):
    """The `error` object of an error envelope."""

    code: ErrorCode
    message: str
    details: ErrorDetails | SkipJsonSchema[None] = absent()
    timestamp: str
    request_id: str
    trace_id: str


class ErrorEnvelope(BaseModel):
    """Every error answer; `status_code` equals the HTTP status."""

    success: Literal[False]
    status_code: int = Field(ge=400, le=599)
    data: None
    error: ErrorBody
    meta: Meta


def envelope(name: str, data: Any, meta: type[Meta] = Meta) -> type[BaseModel]:
    """A success envelope model named ``name`` whose ``data`` is of type ``data``."""
    return create_model(
        name,
        __doc__=f"A success envelope: {name.removesuffix('Envelope')} in data.",
        success=(Literal[True], ...),
        status_code=(int, Field(ge=200, le=299)),
        data=(data, ...),
        meta=(meta, ...),
    )


def id_links(parameter: str, *operations: tuple[str, str]) -> dict[str, Any]:
    """OpenAPI links from an answer carrying a resource to the operations (link name, operationId) that take its
    id as ``parameter`` (the fuzzer follows them too)."""
    return {name: {"operationId": op, "parameters": {parameter: "$response.body#/data/id"}} for name, op in operations}


def header(description: str, *, required: bool = True, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI response header."""
    return {"description": description, "required": required, "schema": schema or _STRING}


REQUEST_ID = {"X-Request-ID": header("The request id, also in meta.request_id.")}
ETAG = {"ETag": header('The version as an entity tag ("v3"); send it back in If-Match or If-None-Match.')}
X_CACHE = {
    "X-Cache": header("Whether the read came from the cache.", schema={"type": "string", "enum": ["HIT", "MISS"]})
}
LOCATION = {"Location": header("The path of the new resource.")}
RETRY_AFTER = {"Retry-After": header("Seconds to wait before trying again.", required=False)}
_SECONDS = {"type": "string", "pattern": "^[0-9]+$"}
# Every answer of a rate-limited function once the limit was decided (not API Gateway's own refusals, nor an
# answer given before the caller was known, nor one given while Redis could not be asked).
RATE_LIMIT = {
    name: header(description, required=False, schema=_SECONDS)
    for name, description in (
        ("X-RateLimit-Limit", "Requests the tightest window of the caller's limits allows."),
        ("X-RateLimit-Remaining", "Requests that window still admits now."),
        ("X-RateLimit-Reset", "Seconds until that window is full again."),
    )
}

ERROR_MEANINGS: dict[int, str] = {
    400: "VAL_001: a required field is missing or null, or the body is not valid JSON.",
    401: "AUTH_001: missing or invalid credentials; AUTH_002: the token has expired.",
    403: "AUTH_003: the caller's role may not do this, or may not set a field it sent (named in details.field).",
    404: "BIZ_001: no such resource (another tenant's resources do not exist for the caller).",
    406: "VAL_002: the Accept header admits none of the media types the route answers with.",
    409: "BIZ_002: a conflict: a duplicate (a SKU, email or username already taken), a stale version (If-Match or "
    "body version), or a change the current state refuses (an admin banning themselves).",
    413: "VAL_003: the request body is larger than 1 MiB.",
    415: "VAL_002: the body is not sent as application/json (or another +json media type).",
    422: "VAL_002: a malformed value (uuid, enum, unknown field or sort), or a query parameter the route does not "
    "declare (each named in details.errors); VAL_003: a value out of range; "
    "BIZ_003: a business limit.",
    429: "RATE_001: too many requests; wait Retry-After seconds.",
    500: "SYS_001: an internal error (details are in the log under the request id).",
    502: "EXT_003: an external service answered with an error.",
    503: "SYS_003: the database or another required service is unavailable; EXT_002: an external service is.",
    504: "SYS_002: the database did not answer in time; EXT_001: an external service did not.",
}
# Any route can meet these, whoever calls it and whatever it sends (422: a query parameter it does not declare).
ALWAYS = (413, 422, 429, 500, 503, 504)
# A route open to some roles only.
PROTECTED = (401, 403)
# A route that reads a JSON body.
WITH_BODY = (400, 415, 422)


def success(
    description: str,
    model: type[BaseModel],
    status: int = 200,
    headers: Iterable[dict[str, Any]] = (),
    links: dict[str, Any] | None = None,
) -> dict[int, Any]:
    """A success response whose body is ``model``, with X-Request-ID, the ``headers`` given and ``links``."""
    answer: dict[str, Any] = {
        "description": description,
        "headers": _headers(headers),
        "content": {"application/json": {"model": model}},
    }
    if links:
        answer["links"] = links
    return {status: answer}


def empty(description: str, status: int, headers: Iterable[dict[str, Any]] = ()) -> dict[int, Any]:
    """A response without a body (204, 304)."""
    return {status: {"description": description, "headers": _headers(headers), "content": {}}}


def text(description: str, media_type: str, headers: Iterable[dict[str, Any]] = ()) -> dict[int, Any]:
    """A 200 whose body is text of ``media_type`` (the Prometheus exposition), not the envelope."""
    return {
        200: {
            "description": description,
            "headers": _headers(headers),
            "content": {media_type.split(";")[0]: {"schema": {"type": "string"}}},
        }
    }


def _headers(groups: Iterable[dict[str, Any]]) -> dict[str, Any]:
    merged = {**REQUEST_ID, **RATE_LIMIT}
    for group in groups:
        merged.update(group)
    return merged


def error(status: int) -> dict[int, Any]:
    """The error envelope answered with ``status``, and the codes that mean it."""
    # API Gateway's own refusals (gateway responses) have no X-Request-ID: required only on success.
    headers = {"X-Request-ID": header("The request id (absent from API Gateway's own refusals).", required=False)}
    headers.update(RATE_LIMIT)
    if status in (401, 429):  # a 401 of a locked login says when to try again
        headers.update(RETRY_AFTER)
    return {
        status: {
            "description": ERROR_MEANINGS[status],
            "headers": headers,
            "content": {"application/json": {"model": ErrorEnvelope}},
        }
    }


def responses(*answers: dict[int, Any], errors: Iterable[int] = ()) -> dict[int, OpenAPIResponse]:
    """A route's ``responses``: its own answers, the errors it names and the ones any route can give."""
    declared: dict[int, Any] = {}
    for answer in answers:
        declared.update(answer)
    for status in sorted({*errors, *ALWAYS}):
        declared.update(error(status))
    return cast(dict[int, OpenAPIResponse], dict(sorted(declared.items())))
