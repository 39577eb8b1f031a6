"""POST services/users/batch: another service opens up to 1000 accounts in one request."""

from storefront import bootstrap
from storefront.application.user_services import batch_create_users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.idempotency import REPLAYED_HEADER
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import IDEMPOTENCY_HELP, SERVICES_TAG, ResultsEnvelope, batch_route, parse_items
from storefront.http.user_services import user_item

app = api_resolver()

app.post(
    f"{PREFIX}/services/users/batch",
    summary="Create users in a batch",
    description="Creates each valid item (an account as POST /users takes it, without a password: its owner sets "
    "one with forgot-password; role, status and email_verified are an admin's: AUTH_003) in bulk statements; "
    "`data.results[i]` is `{index, status: created, id}` or `{index, status: failed, error}` in input order, "
    "and the valid items are created even when others fail. Service role with X-Service-Name and X-API-Key. "
    f"{IDEMPOTENCY_HELP}",
    tags=[SERVICES_TAG],
    operation_id="batchCreateUsers",
    security=SERVICE,
    responses=responses(
        success("One result per item", ResultsEnvelope, headers=(REPLAYED_HEADER,)),
        errors=(*PROTECTED, *WITH_BODY, 409),
    ),
)(
    batch_route(
        app,
        "users",
        lambda caller, items: batch_create_users(bootstrap.users(), caller, parse_items(items, user_item(caller))),
    )
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
