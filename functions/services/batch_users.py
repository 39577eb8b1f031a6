"""POST services/users/batch: another service opens up to 1000 accounts in one request."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application.user_services import batch_create_users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, BatchIn, ResultsEnvelope, parse_items, present_results
from storefront.http.user_services import user_item

app = api_resolver()


@app.post(
    f"{PREFIX}/services/users/batch",
    summary="Create users in a batch",
    description="Creates each valid item (an account as POST /users takes it, without a password: its owner sets "
    "one with forgot-password; role, status and email_verified are an admin's: AUTH_003) in bulk statements; "
    "`data.results[i]` is `{index, status: created, id}` or `{index, status: failed, error}` in input order, "
    "and the valid items are created even when others fail. Service role with X-Service-Name and X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="batchCreateUsers",
    security=SERVICE,
    responses=responses(success("One result per item", ResultsEnvelope), errors=(*PROTECTED, *WITH_BODY)),
)
def batch_users(
    body: Annotated[BatchIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    results = batch_create_users(bootstrap.users(), ctx.principal, parse_items(body.items, user_item(ctx.principal)))
    return ok(present_results(results), headers={"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
