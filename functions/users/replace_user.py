"""PUT /users/{user_id}: replace a user's identity, profile and settings (the user or an admin)."""

from storefront.config import DatabaseSettings, RedisRequiredSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import USERS_TAG, UserEnvelope

app = api_resolver()

replace_user = app.put(
    f"{PREFIX}/users/<user_id>",
    summary="Replace a user",
    description="Replaces email, username, full name, profile and settings (a profile or settings left out become "
    "empty or default); If-Match (or `version`) guards against lost updates: a stale one is 409. Role, status and "
    "email_verified only by an admin (403 AUTH_003 naming the field otherwise; a ban or a role change ends the "
    "user's sessions); password and tenant_id by no one here. The user themselves or an admin (another user's "
    "id is 404).",
    tags=[USERS_TAG],
    operation_id="replaceUser",
    security=BEARER,
    responses=responses(
        success("The new version", UserEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)(user_routes.replace_user)

handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, RedisRequiredSettings))
