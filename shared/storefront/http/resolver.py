"""The API resolver every HTTP function starts from: validation on, every failure answered in the envelope."""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from storefront.config import GatewaySettings, load
from storefront.domain.errors import AppError, ErrorCode, FieldError, NotFound, ValidationFailed
from storefront.http import openapi
from storefront.http.envelope import failure
from storefront.http.validation import from_pydantic
from storefront.observability import logger

PREFIX = "/KONGAPI/api/v1"


def public_path(path: str) -> str:
    """The path a client uses for ``path`` (a ``/KONGAPI/...`` route path), base path mapping included."""
    return load(GatewaySettings).api_base_path + path


def api_resolver(*, refuse_unknown_parameters: bool = True) -> APIGatewayRestResolver:
    """A REST resolver whose errors all come back in the contract's envelope.

    Routes are declared on ``/KONGAPI/api/v1/...``; a base path mapping in front (API_BASE_PATH) is stripped.
    A query parameter the route does not declare is refused (``known_parameters_only``) unless
    ``refuse_unknown_parameters`` is off: the catch-all 404 function's answer depends on the path alone.
    """
    base_path = load(GatewaySettings).api_base_path
    app = APIGatewayRestResolver(enable_validation=True, strip_prefixes=[base_path] if base_path else None)
    # Only stored here: the document is built by `make openapi`, never per request. Plain dicts keep the
    # OpenAPI pydantic models out of the cold start.
    app.configure_openapi(
        title=openapi.TITLE,
        version=openapi.API_VERSION,
        servers=cast(Any, openapi.SERVERS),
        security_schemes=cast(Any, openapi.SECURITY_SCHEMES),
    )

    if refuse_unknown_parameters:
        app.use([known_parameters_only])

    @app.exception_handler(AppError)
    def _app_error(error: AppError) -> Response[str]:
        if error.code.value.startswith("SYS"):
            logger.warning("request failed", extra={"error_code": error.code.value, "reason": error.message})
        return failure(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        return failure(from_pydantic(error.errors()))

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        return failure(NotFound("Route not found"))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return failure(AppError())

    return app


def known_parameters_only(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    """422 VAL_002 naming every query parameter the route does not declare, on every route but a preflight.

    Filters are plain parameters, so a typo (``?stauts=PENDING``) would otherwise be dropped silently and
    answer the whole list. A route's parameters are the ones its signature declares (and documents): paging,
    ``sort``, ``order``, ``fields`` and its own filters. Runs after the request validation of the declared ones.
    """
    route = app.context.get("_route")
    if route is not None and route.method != "OPTIONS":
        known = {parameter.alias for parameter in route.dependant.query_params}
        event = app.current_event
        given = {*(event.multi_value_query_string_parameters or {}), *(event.query_string_parameters or {})}
        unknown = sorted(name for name in given if name not in known)
        if unknown:
            raise ValidationFailed(
                [FieldError(name, ErrorCode.INVALID_FORMAT, "is not a parameter of this route") for name in unknown]
            )
    return next_middleware(app)
