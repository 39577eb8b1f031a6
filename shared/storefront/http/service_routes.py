"""The service routes over HTTP, whatever the resource: request bodies of batch and bulk-update, per-item
results, and the sync page's meta (``application/bulk.py`` says how they behave).

Batch and bulk-update honour ``Idempotency-Key`` as POST /orders does (``http/idempotency.py``): a retried
request with the same key and body answers the first response, byte for byte, instead of writing again. A key
is the calling service's own on one route of one tenant: two services, two routes or two tenants never share one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol, TypeVar
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from storefront.application.bulk import BATCH_MAX, SYNC_LIMIT_MAX, ItemResult, ItemStatus, SyncPage
from storefront.application.queries import CURSOR_MAX
from storefront.config import SyncSettings, load
from storefront.domain.errors import AppError
from storefront.domain.identity import Principal
from storefront.domain.timestamps import iso_utc
from storefront.http.context import RequestContext, request_context
from storefront.http.envelope import error_object, ok
from storefront.http.idempotency import REPLAYED_HEADER, IdempotencyKey, checked_key, idempotent
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, ErrorBody, Meta, envelope, responses, success
from storefront.http.resolver import PREFIX
from storefront.http.validation import from_pydantic

SERVICES_TAG = "services"
T = TypeVar("T")
ITEMS_HELP = f"1 to {BATCH_MAX} items; each is judged on its own and answered at its index in data.results."
SYNC_CURSOR_HELP = (
    "meta.pagination.next_cursor of the previous page (leave out to start from the beginning); when a page is "
    "empty its next_cursor is null: the client is caught up and sends the same cursor next time."
)
IDEMPOTENCY_HELP = (
    "`Idempotency-Key` (optional): a retry with the same key and body answers the first response again, byte for "
    "byte, with `Idempotent-Replayed: true`, and writes nothing; the same key with another body is 409 BIZ_002. "
    "A key is the calling service's own, per route and tenant, for 24 hours."
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
    id: UUID | None = Field(
        None,
        description="The resource created or updated; on a bulk update also the one a conflicting or failed item "
        "names, whenever the item's id is a valid UUID.",
    )
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


def named_id(item: dict[str, Any]) -> UUID | None:
    """The id a bulk-update item names when it is a valid UUID, whatever else is wrong with the item."""
    value = item.get("id")
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def nested(field: str, parse: Callable[[dict[str, Any]], T], value: dict[str, Any]) -> T:
    """``parse(value)`` with the fields of its errors named under ``field`` (``changes.price.amount``)."""
    try:
        return parse(value)
    except ValidationError as invalid:
        errors = [{**e, "loc": (field, *e.get("loc", ()))} for e in invalid.errors()]
        raise from_pydantic(errors) from None


def present_results(results: list[ItemResult], named: Sequence[UUID | None] = ()) -> dict[str, Any]:
    """``data`` of a batch or bulk-update answer; ``named`` (a bulk update's) is the id each input item names, for
    the results that carry none (an item refused before its row was read)."""
    return {"results": [present_result(r, named[r.index] if r.index < len(named) else None) for r in results]}


def present_result(result: ItemResult, named: UUID | None = None) -> dict[str, Any]:
    """One item's result: index and status, the id when there is one (the item's own ``named`` one when the
    result has none), the error object when there is one."""
    out: dict[str, Any] = {"index": result.index, "status": result.status}
    resource_id = result.id if result.id is not None else named
    if resource_id is not None:
        out["id"] = str(resource_id)
    if result.error is not None:
        out["error"] = error_object(result.error)
    return out


def sync_paging(page: SyncPage[Any]) -> dict[str, Any]:
    """``meta.pagination`` of a sync page."""
    return {"limit": page.limit, "has_next": page.has_next, "next_cursor": page.next_cursor}


def tombstone(resource_id: UUID, deleted_at: datetime) -> dict[str, Any]:
    """A deleted resource as a sync page shows it."""
    return {"id": str(resource_id), "deleted": True, "deleted_at": iso_utc(deleted_at)}


class SoftDeleted(Protocol):
    """A resource a sync page shows: its id, and when it was deleted (None while it is live)."""

    @property
    def id(self) -> UUID: ...

    @property
    def deleted_at(self) -> datetime | None: ...


Synced = TypeVar("Synced", bound=SoftDeleted)


def synced(resource: Synced, present: Callable[[Synced], dict[str, Any]]) -> dict[str, Any]:
    """A resource as a sync page shows it: ``present(resource)`` marked ``deleted: false``, or a tombstone once
    deleted."""
    if resource.deleted_at is not None:
        return tombstone(resource.id, resource.deleted_at)
    return {**present(resource), "deleted": False}


# The routes every resource's service functions share: each function module registers one on its own resolver
# with its own documentation, and gives it the resource's use case (``http/user_routes.py`` alike).
Context = Annotated[RequestContext, Depends(request_context)]
Cursor = Annotated[str | None, Query(max_length=CURSOR_MAX, description=SYNC_CURSOR_HELP)]
Limit = Annotated[int, Query(ge=1, le=SYNC_LIMIT_MAX)]
Items = Callable[[Principal, list[dict[str, Any]]], list[ItemResult]]
RouteBody = Callable[..., Response[str]]


def add_batch_route(
    app: APIGatewayRestResolver, resource: str, *, summary: str, description: str, operation_id: str, run: Items
) -> None:
    """Register POST services/<resource>/batch on ``app``: ``run(principal, items)`` answers one result per item;
    ``description`` is followed by the idempotency help."""

    def batch(body: Annotated[BatchIn, Body()], ctx: Context, idempotency_key: IdempotencyKey = None) -> Response[str]:
        return _results(app, f"{resource}/batch", body, ctx, idempotency_key, run, named=())

    _post_results(app, f"{resource}/batch", summary, description, operation_id)(batch)


def add_bulk_update_route(
    app: APIGatewayRestResolver, resource: str, *, summary: str, description: str, operation_id: str, run: Items
) -> None:
    """Register POST services/<resource>/bulk-update on ``app``: ``run(principal, items)`` answers one result per
    item; ``description`` is followed by the idempotency help."""

    def bulk_update(
        body: Annotated[BulkUpdateIn, Body()], ctx: Context, idempotency_key: IdempotencyKey = None
    ) -> Response[str]:
        named = [named_id(item) for item in body.items]
        return _results(app, f"{resource}/bulk-update", body, ctx, idempotency_key, run, named=named)

    _post_results(app, f"{resource}/bulk-update", summary, description, operation_id)(bulk_update)


def _post_results(
    app: APIGatewayRestResolver, route: str, summary: str, description: str, operation_id: str
) -> Callable[[RouteBody], RouteBody]:
    """The decorator registering a batch or bulk-update body as POST services/<route>, documented."""
    answers = responses(
        success("One result per item", ResultsEnvelope, headers=(REPLAYED_HEADER,)),
        errors=(*PROTECTED, *WITH_BODY, 409),
    )
    return _documented(app.post, route, summary, f"{description} {IDEMPOTENCY_HELP}", operation_id, answers)


def _documented(
    register: Callable[..., Callable[[RouteBody], RouteBody]],
    route: str,
    summary: str,
    description: str,
    operation_id: str,
    answers: dict[int, OpenAPIResponse],
) -> Callable[[RouteBody], RouteBody]:
    """``register`` (``app.get``, ``app.post``) for services/<route>, documented as every service route is."""
    return register(
        f"{PREFIX}/services/{route}",
        summary=summary,
        description=description,
        tags=[SERVICES_TAG],
        operation_id=operation_id,
        security=SERVICE,
        responses=answers,
    )


def _results(
    app: APIGatewayRestResolver,
    route: str,
    body: BatchIn | BulkUpdateIn,
    ctx: RequestContext,
    key: str | None,
    run: Items,
    named: Sequence[UUID | None],
) -> Response[str]:
    """One result per item of ``body``, or the first answer to the same ``key`` and body on this route."""

    def respond() -> Response[str]:
        return ok(present_results(run(ctx.principal, body.items), named), headers={"Cache-Control": "no-store"})

    scope = f"services:{ctx.tenant_id}:{ctx.service}:{route}"
    return idempotent(checked_key(key), scope, body.model_dump(mode="json"), respond, app.lambda_context)


def add_sync_route(
    app: APIGatewayRestResolver,
    resource: str,
    *,
    summary: str,
    description: str,
    operation_id: str,
    page_envelope: type[BaseModel],
    read: Callable[[UUID, str | None, int, float], SyncPage[T]],
    present: Callable[[T], dict[str, Any]],
) -> None:
    """Register GET services/<resource>/sync on ``app``: ``read(tenant, cursor, limit, lag_seconds)`` answers a
    page, ``present`` shows each of its items (``page_envelope`` documents the answer); ``description`` is
    followed by the sync help and the roles."""

    def sync(ctx: Context, cursor: Cursor = None, limit: Limit = 20) -> Response[str]:
        page = read(ctx.tenant_id, cursor, limit, load(SyncSettings).sync_lag_seconds)
        return ok(
            [present(item) for item in page.items], paging=sync_paging(page), headers={"Cache-Control": "no-store"}
        )

    description = f"{description} {SYNC_HELP} Service role with X-Service-Name and X-API-Key."
    answers = responses(success("One page of changes", page_envelope), errors=(*PROTECTED, 422))
    _documented(app.get, f"{resource}/sync", summary, description, operation_id, answers)(sync)
