"""GET /users: one page of the caller's tenant's users, filtered, searched and sorted (admin only)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import LIST_HELP, USERS_TAG, UserPageEnvelope

app = api_resolver()

list_users = app.get(
    f"{PREFIX}/users",
    summary="List users",
    description=f"One page of the caller's tenant's users: {LIST_HELP} Admin only.",
    tags=[USERS_TAG],
    operation_id="listUsers",
    security=BEARER,
    responses=responses(success("One page of users", UserPageEnvelope), errors=(*PROTECTED, 422)),
)(user_routes.list_users)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
