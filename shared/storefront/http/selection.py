"""Field selection (``?fields=a,b``), the same for every resource."""

from __future__ import annotations

from typing import Any

from storefront.domain.errors import ErrorCode, ValidationFailed


def parse_fields(value: str | None, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """The fields a client asked for with ``?fields=a,b`` among ``allowed`` (None: every field); VAL_002 names
    an unknown one, or says that none is named."""
    if value is None or not value.strip():
        return None
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        raise ValidationFailed.single("fields", ErrorCode.INVALID_FORMAT, "names no field; leave it out for all")
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValidationFailed.single(
            "fields", ErrorCode.INVALID_FORMAT, f"unknown field {unknown[0]!r}; allowed: {', '.join(allowed)}"
        )
    return names


def pick_fields(full: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    """A representation cut down to the ``fields`` a client asked for, in that order (None: all of it)."""
    return full if fields is None else {name: full[name] for name in fields}


def no_field_required(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a resource's selection model: with ``?fields=`` any field may be left out."""
    schema.pop("required", None)
