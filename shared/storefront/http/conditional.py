"""Conditional requests: ETags from versions, If-None-Match for reads, If-Match for writes."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response

from storefront.domain.errors import Conflict, ErrorCode, ValidationFailed
from storefront.http.envelope import not_modified, ok

_ETAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')
_OURS = re.compile(r'^"v([1-9]\d{0,8})"$')  # exactly a tag ``etag`` writes: strong, no leading zero
NEVER = 0  # a version no resource has: the write is then refused as stale
READ_CACHING = {"Cache-Control": "private, no-cache"}
WRITE_CACHING = {"Cache-Control": "no-store"}


def etag(version: int) -> str:
    """The entity tag of a resource version."""
    return f'"v{version}"'


def matches_none(if_none_match: str | None, current: str) -> bool:
    """True when If-None-Match names the current tag (or ``*``): the client's copy is current."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or current in tags or f"W/{current}" in tags


def tagged_read(
    data: Any, version: int, if_none_match: str | None, headers: dict[str, str] | None = None
) -> Response[str]:
    """The answer to a read of a resource at ``version``: ``data`` with its ETag (and ``headers``), revalidated by
    every cache; 304 without a body when If-None-Match names that ETag."""
    sent = {"ETag": etag(version), **READ_CACHING, **(headers or {})}
    if matches_none(if_none_match, sent["ETag"]):
        return not_modified(sent)
    return ok(data, headers=sent)


def tagged_write(data: Any, version: int, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """The answer to a write that left a resource at ``version``: ``data`` with the new ETag, never stored by a
    cache."""
    return ok(data, status, headers={"ETag": etag(version), **WRITE_CACHING, **(headers or {})})


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
