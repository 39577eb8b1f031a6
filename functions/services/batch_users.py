"""POST services/users/batch: another service opens up to 1000 accounts in one request."""

from storefront import bootstrap
from storefront.application.user_services import batch_create_users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_batch_route, parse_items
from storefront.http.user_services import user_item

app = api_resolver()

add_batch_route(
    app,
    "users",
    summary="Create users in a batch",
    description="Creates each valid item (an account as POST /users takes it, without a password: its owner sets "
    "one with forgot-password; role, status and email_verified are an admin's: AUTH_003) in bulk statements; "
    "`data.results[i]` is `{index, status: created, id}` or `{index, status: failed, error}` in input order, "
    "and the valid items are created even when others fail. Service role with X-Service-Name and X-API-Key.",
    operation_id="batchCreateUsers",
    run=lambda caller, items: batch_create_users(bootstrap.users(), caller, parse_items(items, user_item(caller))),
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
