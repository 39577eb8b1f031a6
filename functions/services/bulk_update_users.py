"""POST services/users/bulk-update: another service changes up to 1000 users, each at a known version."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application.user_services import bulk_update_users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, BulkUpdateIn, ResultsEnvelope, parse_items, present_results
from storefront.http.user_services import user_change

app = api_resolver()


@app.post(
    f"{PREFIX}/services/users/bulk-update",
    summary="Update users in bulk",
    description="Each item is `{id, version, changes}` (changes as PATCH /users/{id} takes them); an item whose "
    "version is current is applied (identity, profile, settings; role, status and email_verified are an admin's: "
    "AUTH_003) (`updated`), a stale one is `conflict` (the current version in "
    "error.details.current_version), an invalid or missing one `failed`; results in input order. "
    "Service role with X-Service-Name and X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="bulkUpdateUsers",
    security=SERVICE,
    responses=responses(success("One result per item", ResultsEnvelope), errors=(*PROTECTED, *WITH_BODY)),
)
def bulk_update(
    body: Annotated[BulkUpdateIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    results = bulk_update_users(bootstrap.users(), ctx.principal, parse_items(body.items, user_change(ctx.principal)))
    return ok(present_results(results), headers={"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
