"""The service routes over HTTP, whatever the resource: request bodies of batch and bulk-update, per-item
results, and the sync page's meta (``application/bulk.py`` says how they behave)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from storefront.application.bulk import BATCH_MAX, SYNC_LIMIT_MAX, ItemResult, ItemStatus, SyncPage
from storefront.application.queries import CURSOR_MAX
from storefront.config import SyncSettings, load
from storefront.domain.errors import AppError
from storefront.domain.identity import Principal
from storefront.domain.timestamps import iso_utc
from storefront.http.context import RequestContext, request_context
from storefront.http.envelope import error_object, ok
from storefront.http.openapi import ErrorBody, Meta, envelope
from storefront.http.validation import from_pydantic

SERVICES_TAG = "services"
T = TypeVar("T")
ITEMS_HELP = f"1 to {BATCH_MAX} items; each is judged on its own and answered at its index in data.results."
SYNC_CURSOR_HELP = (
    "meta.pagination.next_cursor of the previous page (leave out to start from the beginning); when a page is "
    "empty its next_cursor is null: the client is caught up and sends the same cursor next time."
)
SYNC_HELP = (
    f"`limit` (1..{SYNC_LIMIT_MAX}). Changes are returned once they are older than the sync lag (SYNC_LAG_SECONDS, "
    "40 s by default), so a transaction still committing is never passed by a cursor."
)


class BatchIn(BaseModel):
    """Items to create: each as the resource's own POST takes it."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(min_length=1, max_length=BATCH_MAX, description=ITEMS_HELP)


class BulkChangeIn(BaseModel):
    """One item of a bulk update: the resource, the version the caller read, the fields to change."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    version: StrictInt = Field(ge=1)
    changes: dict[str, Any] = Field(description="The fields to change, as the resource's PATCH takes them.")


class BulkUpdateIn(BaseModel):
    """Changes to apply: ``{id, version, changes}`` each."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(min_length=1, max_length=BATCH_MAX, description=ITEMS_HELP)


class ItemResultOut(BaseModel):
    """What became of one item."""

    index: int = Field(ge=0, description="The item's position in the request.")
    status: ItemStatus
    id: UUID | None = Field(None, description="The resource created or updated (also on a version conflict).")
    error: ErrorBody | None = Field(None, description="Why the item failed or conflicted.")


class ResultsOut(BaseModel):
    """One result per item, in the order of the request."""

    results: list[ItemResultOut]


ResultsEnvelope = envelope("ServiceResultsEnvelope", ResultsOut)


class SyncPagination(BaseModel):
    """Where a sync page stands: more waiting now, and the cursor to send next."""

    limit: int = Field(ge=1, le=SYNC_LIMIT_MAX)
    has_next: bool = Field(description="More changes are waiting after this page.")
    next_cursor: str | None = Field(description="The position after this page; null when the page is empty.")


class SyncMeta(Meta):
    """`meta` of a sync page."""

    pagination: SyncPagination


class Tombstone(BaseModel):
    """A deleted resource in a sync page."""

    id: UUID
    deleted: Literal[True]
    deleted_at: datetime


def parse_items(items: list[dict[str, Any]], parse: Callable[[dict[str, Any]], T]) -> list[T | AppError]:
    """Each item parsed by ``parse``, or the error that refused it (pydantic's as the contract's VAL_xxx)."""
    parsed: list[T | AppError] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except ValidationError as invalid:
            parsed.append(from_pydantic(invalid.errors()))
        except AppError as refused:
            parsed.append(refused)
    return parsed


def nested(field: str, parse: Callable[[dict[str, Any]], T], value: dict[str, Any]) -> T:
    """``parse(value)`` with the fields of its errors named under ``field`` (``changes.price.amount``)."""
    try:
        return parse(value)
    except ValidationError as invalid:
        errors = [{**e, "loc": (field, *e.get("loc", ()))} for e in invalid.errors()]
        raise from_pydantic(errors) from None


def present_results(results: list[ItemResult]) -> dict[str, Any]:
    """``data`` of a batch or bulk-update answer."""
    return {"results": [present_result(r) for r in results]}


def present_result(result: ItemResult) -> dict[str, Any]:
    """One item's result: index and status, the id when there is one, the error object when there is one."""
    out: dict[str, Any] = {"index": result.index, "status": result.status}
    if result.id is not None:
        out["id"] = str(result.id)
    if result.error is not None:
        out["error"] = error_object(result.error)
    return out


def sync_paging(page: SyncPage[Any]) -> dict[str, Any]:
    """``meta.pagination`` of a sync page."""
    return {"limit": page.limit, "has_next": page.has_next, "next_cursor": page.next_cursor}


def tombstone(resource_id: UUID, deleted_at: datetime) -> dict[str, Any]:
    """A deleted resource as a sync page shows it."""
    return {"id": str(resource_id), "deleted": True, "deleted_at": iso_utc(deleted_at)}


# Route bodies every resource's service functions share: each function module registers one on its own resolver
# with its own path and documentation, and gives it the resource's use case (``http/user_routes.py`` alike).
Context = Annotated[RequestContext, Depends(request_context)]
Cursor = Annotated[str | None, Query(max_length=CURSOR_MAX, description=SYNC_CURSOR_HELP)]
Limit = Annotated[int, Query(ge=1, le=SYNC_LIMIT_MAX)]
Items = Callable[[Principal, list[dict[str, Any]]], list[ItemResult]]


def batch_route(run: Items) -> Callable[..., Response[str]]:
    """The body of POST services/<resource>/batch: ``run(principal, items)`` answers one result per item."""

    def batch(body: Annotated[BatchIn, Body()], ctx: Context) -> Response[str]:
        return ok(present_results(run(ctx.principal, body.items)), headers={"Cache-Control": "no-store"})

    return batch


def bulk_update_route(run: Items) -> Callable[..., Response[str]]:
    """The body of POST services/<resource>/bulk-update: ``run(principal, items)`` answers one result per item."""

    def bulk_update(body: Annotated[BulkUpdateIn, Body()], ctx: Context) -> Response[str]:
        return ok(present_results(run(ctx.principal, body.items)), headers={"Cache-Control": "no-store"})

    return bulk_update


def sync_route(
    read: Callable[[UUID, str | None, int, float], SyncPage[T]], present: Callable[[T], dict[str, Any]]
) -> Callable[..., Response[str]]:
    """The body of GET services/<resource>/sync: ``read(tenant, cursor, limit, lag_seconds)`` answers a page."""

    def sync(ctx: Context, cursor: Cursor = None, limit: Limit = 20) -> Response[str]:
        page = read(ctx.tenant_id, cursor, limit, load(SyncSettings).sync_lag_seconds)
        return ok(
            [present(item) for item in page.items], paging=sync_paging(page), headers={"Cache-Control": "no-store"}
        )

    return sync
