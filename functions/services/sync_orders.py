"""GET services/orders/sync: the orders changed after a cursor, deletions as tombstones, oldest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application.bulk import SYNC_LIMIT_MAX
from storefront.application.order_services import sync_orders
from storefront.application.queries import CURSOR_MAX
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings, load
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, responses, success
from storefront.http.order_services import OrderSyncEnvelope, present_synced_order
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, SYNC_CURSOR_HELP, SYNC_HELP, sync_paging

app = api_resolver()


@app.get(
    f"{PREFIX}/services/orders/sync",
    summary="Sync orders",
    description="The caller's tenant's orders changed after `cursor`, oldest change first, each in its newest "
    "state with `deleted: false`, or as a tombstone `{id, deleted: true, deleted_at}`; resume from "
    f"meta.pagination.next_cursor. {SYNC_HELP} Service role with X-Service-Name and X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="syncOrders",
    security=SERVICE,
    responses=responses(success("One page of changes", OrderSyncEnvelope), errors=(*PROTECTED, 422)),
)
def sync(
    ctx: Annotated[RequestContext, Depends(request_context)],
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX, description=SYNC_CURSOR_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=SYNC_LIMIT_MAX)] = 20,
) -> Response[str]:
    lag = load(SyncSettings).sync_lag_seconds
    page = sync_orders(bootstrap.orders(), ctx.tenant_id, cursor, limit, lag)
    return ok(
        [present_synced_order(o) for o in page.items], paging=sync_paging(page), headers={"Cache-Control": "no-store"}
    )


handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
