"""Conditional requests: ETags from versions, If-None-Match for reads, If-Match for writes."""

from __future__ import annotations

import re

from storefront.domain.errors import ErrorCode, ValidationFailed

_ETAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')


def etag(version: int) -> str:
    """The entity tag of a resource version."""
    return f'"v{version}"'


def matches_none(if_none_match: str | None, current: str) -> bool:
    """True when If-None-Match names the current tag (or ``*``): the client's copy is current."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or current in tags or f"W/{current}" in tags


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version a write expects to replace: If-Match first, else the body's ``version``; None means any."""
    if if_match is None or if_match.strip() == "":
        return body_version
    value = if_match.strip()
    if value == "*":
        return body_version
    found = _ETAG.match(value)
    if found is None:
        raise ValidationFailed.single("If-Match", ErrorCode.INVALID_FORMAT, 'must be one ETag such as "v3" or *')
    return int(found.group(1))
