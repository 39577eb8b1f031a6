"""PUT /admin/users/{user_id}: replace a user, role, status and email_verified included (admin only)."""

from storefront.config import DatabaseSettings, RedisRequiredSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG, UserEnvelope

app = api_resolver()

replace_user = app.put(
    f"{PREFIX}/admin/users/<user_id>",
    summary="Update a user (admin)",
    description="Replaces email, username, full name, profile and settings, and sets role, status and "
    "email_verified when sent (kept otherwise). A status of banned is a ban (every session ends), active an "
    "unban; a new role ends the user's access tokens (a refresh issues tokens with the new role). Not on the "
    "admin's own role or status (409). If-Match (or `version`) guards against lost updates. Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminUpdateUser",
    security=BEARER,
    responses=responses(
        success("The new version", UserEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)(user_routes.replace_user)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, RedisRequiredSettings))
