"""DELETE /users/{user_id}: soft-delete an account and end its sessions (the user or an admin). 204, no body."""

from storefront.config import DatabaseSettings, RedisRequiredSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, PROTECTED, empty, responses
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import USERS_TAG

app = api_resolver()

delete_user = app.delete(
    f"{PREFIX}/users/<user_id>",
    summary="Delete a user",
    description="Soft-deletes the account and ends every session of it at once (refresh and access tokens): it is "
    "404 and gone from lists afterwards, its email and username stay taken. If-Match is optional; a stale one is "
    "409. The user themselves or an admin (another user's id is 404).",
    tags=[USERS_TAG],
    operation_id="deleteUser",
    security=BEARER,
    responses=responses(empty("Deleted", 204), errors=(*PROTECTED, 404, 409, 422)),
)(user_routes.delete_user)

handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, RedisRequiredSettings))
