"""GET /admin/users: the admin's list of the tenant's users, filtered, searched and sorted (admin only)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG, LIST_HELP, UserPageEnvelope

app = api_resolver()

list_users = app.get(
    f"{PREFIX}/admin/users",
    summary="List users (admin)",
    description=f"One page of the caller's tenant's users, as an admin manages them: {LIST_HELP} Cost does not "
    "grow with the number of users (cursor pages, remembered totals). Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminListUsers",
    security=BEARER,
    responses=responses(success("One page of users", UserPageEnvelope), errors=(*PROTECTED, 422)),
)(user_routes.list_users)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
