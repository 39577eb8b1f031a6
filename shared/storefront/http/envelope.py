"""The response envelope of the contract, as Powertools Response objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response

from storefront.application.queries import Page
from storefront.domain.errors import AppError
from storefront.domain.timestamps import iso_utc
from storefront.http.request_meta import current_meta
from storefront.http.status import status_for

JSON = "application/json"
LIST_CACHING = {"Cache-Control": "private, no-cache"}
T = TypeVar("T")


def _meta(pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    ids = current_meta()
    meta: dict[str, Any] = {
        "timestamp": iso_utc(datetime.now(UTC)),
        "request_id": ids.request_id,
        "trace_id": ids.trace_id,
    }
    if pagination is not None:
        meta["pagination"] = pagination
    return meta


def pagination(page: Page[Any]) -> dict[str, Any]:
    """The contract's ``meta.pagination`` of a page."""
    return {
        "limit": page.limit,
        "offset": page.offset,
        "total": page.total,
        "total_exact": page.total_exact,
        "has_next": page.has_next,
        "has_prev": page.has_prev,
        "next_cursor": page.next_cursor,
    }


def ok(
    data: Any,
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    page: Page[Any] | None = None,
    paging: dict[str, Any] | None = None,
) -> Response[str]:
    """A success envelope around ``data``; ``meta.pagination`` from ``page``, or as given in ``paging``."""
    body = {
        "success": True,
        "status_code": status,
        "data": data,
        "meta": _meta(pagination(page) if page is not None else paging),
    }
    return Response(status, JSON, json.dumps(body, separators=(",", ":")), headers=headers)


def listed(page: Page[T], present: Callable[[T], Any]) -> Response[str]:
    """The answer of a list route: each item of ``page`` presented, its pagination, revalidated by caches."""
    return ok([present(item) for item in page.items], page=page, headers=LIST_CACHING)


def no_content(headers: dict[str, str] | None = None) -> Response[str]:
    """204: no body at all."""
    return Response(204, None, "", headers=headers)


def not_modified(headers: dict[str, str]) -> Response[str]:
    """304: the client's copy is current."""
    return Response(304, None, "", headers=headers)


def error_object(error: AppError, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The contract's ``error`` object of ``error`` (also each failed item's error in a service answer)."""
    meta = meta or _meta()
    detail: dict[str, Any] = {"code": error.code.value, "message": error.message}
    if error.details:
        detail["details"] = error.details
    detail.update(timestamp=meta["timestamp"], request_id=meta["request_id"], trace_id=meta["trace_id"])
    return detail


def _error_body(error: AppError, status: int) -> dict[str, Any]:
    """The contract's error envelope as a dict."""
    meta = _meta()
    return {"success": False, "status_code": status, "data": None, "error": error_object(error, meta), "meta": meta}


def failure(error: AppError, headers: dict[str, str] | None = None) -> Response[str]:
    """An error envelope for ``error`` with its contract status."""
    status = status_for(error)
    if error.retry_after is not None:
        headers = {**(headers or {}), "Retry-After": str(error.retry_after)}
    return Response(status, JSON, json.dumps(_error_body(error, status), separators=(",", ":")), headers=headers)
