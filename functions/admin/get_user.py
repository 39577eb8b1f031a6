"""GET /admin/users/{user_id}: one user of the tenant with its ETag (admin only)."""

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http import user_routes
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import ADMIN_TAG, UserSelectionEnvelope

app = api_resolver()

get_user = app.get(
    f"{PREFIX}/admin/users/<user_id>",
    summary="Get a user (admin)",
    description="Any user of the caller's tenant with its ETag; `?fields=` selects fields, If-None-Match with the "
    "current ETag answers 304. Admin only.",
    tags=[ADMIN_TAG],
    operation_id="adminGetUser",
    security=BEARER,
    responses=responses(
        success("The user", UserSelectionEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)(user_routes.get_user)

handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
