"""The error vocabulary shared by every layer: one code per failure kind, as the API contract names them.

Domain and application code raise these; the HTTP layer maps a code to a status and the envelope.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Error codes of the API contract."""

    INTERNAL = "SYS_001"
    TIMEOUT = "SYS_002"
    UNAVAILABLE = "SYS_003"
    REQUIRED = "VAL_001"
    INVALID_FORMAT = "VAL_002"
    OUT_OF_RANGE = "VAL_003"
    UNAUTHENTICATED = "AUTH_001"
    TOKEN_EXPIRED = "AUTH_002"  # noqa: S105 - an error code, not a secret
    FORBIDDEN = "AUTH_003"
    NOT_FOUND = "BIZ_001"
    CONFLICT = "BIZ_002"
    LIMIT_EXCEEDED = "BIZ_003"
    RATE_LIMITED = "RATE_001"
    EXTERNAL_TIMEOUT = "EXT_001"
    EXTERNAL_UNAVAILABLE = "EXT_002"
    EXTERNAL_ERROR = "EXT_003"


class AppError(Exception):
    """A failure with a contract code and a message that is safe to show to a client."""

    code: ErrorCode = ErrorCode.INTERNAL
    default_message = "Internal error"
    retry_after: int | None = None  # seconds the client should wait (answered as Retry-After)

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


ERRORS_LISTED = 50  # the most field errors one answer lists; the rest are counted in errors_omitted


class ValidationFailed(AppError):
    """One or more input fields are wrong; ``errors`` lists each as field, code and reason."""

    code = ErrorCode.INVALID_FORMAT
    default_message = "Validation failed"

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        if not errors:
            raise ValueError("ValidationFailed needs at least one field error")
        self.errors = errors
        self.code = errors[0].code
        first = errors[0]
        details: dict[str, Any] = {
            "field": first.field,
            "reason": first.reason,
            "errors": [e.as_dict() for e in errors[:ERRORS_LISTED]],
        }
        if len(errors) > ERRORS_LISTED:  # a body of 100,000 unknown keys must not answer 100,000 errors
            details["errors_omitted"] = len(errors) - ERRORS_LISTED
        super().__init__(message, details=details)

    @classmethod
    def single(cls, field: str, code: ErrorCode, reason: str) -> ValidationFailed:
        """A validation failure about one field."""
        return cls([FieldError(field, code, reason)])


class FieldError:
    """One bad input field."""

    __slots__ = ("code", "field", "reason")

    def __init__(self, field: str, code: ErrorCode, reason: str) -> None:
        self.field = field
        self.code = code
        self.reason = reason

    def as_dict(self) -> dict[str, str]:
        """The field error as the contract's ``details.errors`` item."""
        return {"field": self.field, "code": self.code.value, "reason": self.reason}


class PayloadTooLarge(AppError):
    code = ErrorCode.OUT_OF_RANGE
    default_message = "Request body is too large"


class UnsupportedMediaType(AppError):
    code = ErrorCode.INVALID_FORMAT
    default_message = "Unsupported media type"


class NotAcceptable(AppError):
    """The Accept header admits none of the media types the resource is served as."""

    code = ErrorCode.INVALID_FORMAT
    default_message = "Not acceptable"


class Unauthenticated(AppError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "Missing or invalid credentials"


class TokenExpired(AppError):
    code = ErrorCode.TOKEN_EXPIRED
    default_message = "Token has expired"


class Forbidden(AppError):
    code = ErrorCode.FORBIDDEN
    default_message = "Insufficient permissions"


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND
    default_message = "Resource not found"


class Conflict(AppError):
    code = ErrorCode.CONFLICT
    default_message = "Conflict with the current state of the resource"


class LimitExceeded(AppError):
    code = ErrorCode.LIMIT_EXCEEDED
    default_message = "Business limit exceeded"


class RateLimited(AppError):
    """The caller's rate limit is spent for now; ``retry_after_seconds`` says for how long."""

    code = ErrorCode.RATE_LIMITED
    default_message = "Rate limit exceeded"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(details={"retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds


class Timeout(AppError):
    code = ErrorCode.TIMEOUT
    default_message = "The operation timed out"


class ServiceUnavailable(AppError):
    code = ErrorCode.UNAVAILABLE
    default_message = "Service temporarily unavailable"


class ExternalTimeout(AppError):
    """A service outside the system (payment provider, queue, mail) did not answer in time."""

    code = ErrorCode.EXTERNAL_TIMEOUT
    default_message = "An external service timed out"


class ExternalUnavailable(AppError):
    """A service outside the system cannot be reached now (down, or its circuit breaker is open)."""

    code = ErrorCode.EXTERNAL_UNAVAILABLE
    default_message = "An external service is unavailable"


class ExternalError(AppError):
    """A service outside the system answered with an error of its own."""

    code = ErrorCode.EXTERNAL_ERROR
    default_message = "An external service failed"
