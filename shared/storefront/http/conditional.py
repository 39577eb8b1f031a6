"""Conditional requests: ETags from versions, If-None-Match for reads, If-Match for writes."""

from __future__ import annotations

import re

from storefront.domain.errors import Conflict, ErrorCode, ValidationFailed

_ETAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')
_OURS = re.compile(r'^"v([1-9]\d{0,8})"$')  # exactly a tag ``etag`` writes: strong, no leading zero
NEVER = 0  # a version no resource has: the write is then refused as stale


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
    """The version a write expects to replace, from If-Match and the body's ``version``; None means any.

    If-Match compares strongly (RFC 9110 13.1.1): a weak tag (``W/"v2"``) can never match, so the write is
    refused (409 BIZ_002) saying so, not as a change by someone else; a tag we never write (``"v01"``)
    matches no version and the write is refused as stale (409), as is an If-Match that disagrees with the
    body's ``version``.
    """
    if if_match is None or if_match.strip() in ("", "*"):
        return body_version
    value = if_match.strip()
    if _ETAG.match(value) is None:
        raise ValidationFailed.single("If-Match", ErrorCode.INVALID_FORMAT, 'must be one ETag such as "v3" or *')
    if value.startswith("W/"):
        raise Conflict(
            "A weak ETag cannot be used in If-Match",
            details={
                "reason": f"If-Match compares strongly (RFC 9110): send the strong tag {value[2:]}, without W/",
                "field": "If-Match",
            },
        )
    ours = _OURS.match(value)
    version = int(ours.group(1)) if ours else NEVER
    if body_version is not None and body_version != version:
        return NEVER
    return version
