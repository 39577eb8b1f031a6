"""POST /api/v1/internal/orders/process: re-drive one PENDING order (send its order-processing message again)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application.orders import reprocess_order
from storefront.config import CacheSettings, DatabaseSettings, QueueSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import SERVICES
from storefront.http.internal_routes import INTERNAL, INTERNAL_TAG, ProcessIn, ReprocessedEnvelope
from storefront.http.openapi import PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import api_resolver

app = api_resolver()


@app.post(
    "/api/v1/internal/orders/process",
    summary="Re-drive an order",
    description="Sends a PENDING order's order-processing message again (a lost or dead-lettered one is replaced); "
    "idempotent: the saga reserves an order's stock once however many messages arrive. 404 for no such order "
    "of the key's tenant, 409 for an order already past PENDING. IAM (API Gateway only) with X-Service-Name "
    "and X-API-Key. A request without a SigV4 signature is answered as "
    "API Gateway answers it on an IAM route here: 404 BIZ_001, as an unknown route.",
    tags=[INTERNAL_TAG],
    operation_id="processOrder",
    security=INTERNAL,
    responses=responses(
        success("The message was sent", ReprocessedEnvelope, 202), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def process_order(
    body: Annotated[ProcessIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    order = reprocess_order(bootstrap.orders(), ctx.tenant_id, body.order_id)
    data = {"order_id": str(order.id), "status": order.status.value, "queued": "order-processing"}
    return ok(data, 202, headers={"Cache-Control": "no-store"})


handler = lambda_entry(
    app, allow=SERVICES, service_key=True, iam=True, requires=(DatabaseSettings, CacheSettings, QueueSettings)
)
