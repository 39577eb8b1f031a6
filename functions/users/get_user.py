"""GET /users/{user_id}: one user with its ETag (the user themselves or an admin; another user's id is 404)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import USERS_TAG, UserSelectionEnvelope

app = api_resolver()

get_user = app.get(
    f"{PREFIX}/users/<user_id>",
    summary="Get a user",
    description="One user with its ETag; `?fields=email,role` returns only those fields. If-None-Match with the "
    "current ETag answers 304. The user themselves or an admin: another user's id is 404, as an unknown id is.",
    tags=[USERS_TAG],
    operation_id="getUser",
    security=BEARER,
    responses=responses(
        success("The user", UserSelectionEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)(user_routes.get_user)

handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, CacheSettings))
