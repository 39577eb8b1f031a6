"""Pydantic validation errors -> the contract's VAL_001 / VAL_002 / VAL_003 field errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from storefront.domain.errors import ErrorCode, FieldError, ValidationFailed

REQUIRED_TYPES = frozenset({"missing", "json_invalid", "json_type"})
RANGE_TYPES = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "string_too_short",
        "string_too_long",
        "too_short",
        "too_long",
        "decimal_max_places",
        "decimal_max_digits",
        "decimal_whole_digits",
    }
)
LOCATIONS = frozenset({"body", "query", "path", "header"})


def code_for(error_type: str) -> ErrorCode:
    """The contract code of one pydantic error type."""
    if error_type in REQUIRED_TYPES:
        return ErrorCode.REQUIRED
    if error_type in RANGE_TYPES:
        return ErrorCode.OUT_OF_RANGE
    return ErrorCode.INVALID_FORMAT


def field_name(location: Iterable[Any]) -> str:
    """A dotted field name without the request part (``("body", "price", "amount")`` -> ``price.amount``); a
    header by its usual spelling (``("header", "x-tenant-id")`` -> ``X-Tenant-ID``)."""
    parts = [str(p) for p in location]
    if parts[:1] == ["header"] and len(parts) == 2:
        return header_spelling(parts[1])
    if parts and parts[0] in LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def header_spelling(name: str) -> str:
    """``x-tenant-id`` as a person writes it: ``X-Tenant-ID``."""
    return "-".join(part.upper() if part in ("id", "api") else part.capitalize() for part in name.split("-"))


def reason_for(error: Mapping[str, Any]) -> str:
    """A short reason a client can act on."""
    error_type = str(error.get("type", ""))
    if error_type == "missing":
        return "is required"
    if error_type in ("json_invalid", "json_type"):
        return "body is not valid JSON"
    if error_type == "extra_forbidden":
        return "is not a known field"
    location = tuple(error.get("loc", ()))
    if location[:1] == ("header",) and isinstance(error.get("input"), list):
        return "is given more than once"
    message = str(error.get("msg") or "is invalid")
    return message[:1].lower() + message[1:]


def from_pydantic(errors: Iterable[Mapping[str, Any]]) -> ValidationFailed:
    """One ValidationFailed listing every pydantic error, most basic first (missing before format before range)."""
    field_errors = [
        FieldError(
            "body" if e.get("type") in ("json_invalid", "json_type") else field_name(e.get("loc", ())),
            code_for(str(e.get("type", ""))),
            reason_for(e),
        )
        for e in errors
    ]
    if not field_errors:
        field_errors = [FieldError("body", ErrorCode.INVALID_FORMAT, "is invalid")]
    order = [ErrorCode.REQUIRED, ErrorCode.INVALID_FORMAT, ErrorCode.OUT_OF_RANGE]
    field_errors.sort(key=lambda e: order.index(e.code))
    return ValidationFailed(field_errors)
