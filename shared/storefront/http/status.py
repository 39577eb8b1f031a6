"""Contract error code -> HTTP status."""

from __future__ import annotations

from storefront.domain.errors import AppError, ErrorCode, NotAcceptable, PayloadTooLarge, UnsupportedMediaType

STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.INTERNAL: 500,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.REQUIRED: 400,
    ErrorCode.INVALID_FORMAT: 422,
    ErrorCode.OUT_OF_RANGE: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.LIMIT_EXCEEDED: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.EXTERNAL_TIMEOUT: 504,
    ErrorCode.EXTERNAL_UNAVAILABLE: 503,
    ErrorCode.EXTERNAL_ERROR: 502,
}


# Refusals of the request's bytes (and of its Accept header) keep their contract code but answer with the status
# HTTP has for them.
STATUS_BY_KIND: dict[type[AppError], int] = {
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    NotAcceptable: 406,
}


def status_for(error: AppError) -> int:
    """The HTTP status that answers ``error``."""
    return STATUS_BY_KIND.get(type(error)) or STATUS_BY_CODE[error.code]
