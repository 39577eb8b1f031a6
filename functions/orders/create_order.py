"""POST /orders: place an order (PENDING, priced from the catalogue now); Idempotency-Key honoured."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import orders
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.idempotency import REPLAYED_HEADER, IdempotencyKey, checked_key, idempotent
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, ETAG, LOCATION, PROTECTED, WITH_BODY, responses, success
from storefront.http.order_routes import written
from storefront.http.orders import LINKS_FROM_NEW_ORDER, ORDERS_TAG, OrderEnvelope, OrderIn
from storefront.http.resolver import PREFIX, api_resolver, public_path

app = api_resolver()


@app.post(
    f"{PREFIX}/orders",
    summary="Place an order",
    description="Places a PENDING order for the caller at the catalogue's current prices (one currency; a missing or "
    "unsold product is 422 naming the item, a quantity over the current stock 422 BIZ_003). Stock is reserved "
    "afterwards by order processing. status, payment_status, user_id, total and history are set by the server "
    "only: 403 AUTH_003 naming the field; id, version, created_* and updated_* are ignored. `Idempotency-Key`: "
    "the same key and body answer the first response again, byte for byte, with `Idempotent-Replayed: true`.",
    tags=[ORDERS_TAG],
    operation_id="createOrder",
    security=BEARER,
    responses=responses(
        success("Placed", OrderEnvelope, 201, headers=(ETAG, LOCATION, REPLAYED_HEADER), links=LINKS_FROM_NEW_ORDER),
        errors=(*PROTECTED, *WITH_BODY, 409),
    ),
)
def create_order(
    body: Annotated[OrderIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
    idempotency_key: IdempotencyKey = None,
) -> Response[str]:
    request = body.to_request()

    def respond() -> Response[str]:
        order = orders.create_order(bootstrap.orders(), ctx.principal, request)
        return written(order, 201, {"Location": public_path(f"{PREFIX}/orders/{order.id}")})

    scope = f"orders:{ctx.tenant_id}:{ctx.principal.user_id}"
    sent = body.model_dump(mode="json", exclude_unset=True)
    return idempotent(checked_key(idempotency_key), scope, sent, respond, app.lambda_context)


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
