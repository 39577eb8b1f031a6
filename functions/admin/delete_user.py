"""DELETE /admin/users/{user_id}: soft-delete a user and end its sessions (admin only). 204, no body."""

from storefront.config import DatabaseSettings, RedisRequiredSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, PROTECTED, empty, responses
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG

app = api_resolver()

delete_user = app.delete(
    f"{PREFIX}/admin/users/<user_id>",
    summary="Delete a user (admin)",
    description="Soft-deletes any user of the tenant and ends every session of it at once: it is 404 and gone "
    "from lists afterwards, its email and username stay taken. If-Match is optional; a stale one is 409. "
    "Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminDeleteUser",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)(user_routes.delete_user)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, RedisRequiredSettings))
