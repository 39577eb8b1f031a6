"""GET /users/{user_id}/profile: a user's profile, tagged with the user's version (the user or an admin)."""

from uuid import UUID

from aws_lambda_powertools.event_handler import Response

from storefront import bootstrap
from storefront.application import users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, ETAG, PROTECTED, empty, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfNoneMatch
from storefront.http.users import PROFILE_TAG, ProfileEnvelope, document_read, present_profile

app = api_resolver()


@app.get(
    f"{PREFIX}/users/<user_id>/profile",
    summary="Get a user's profile",
    description="The profile (display name, phone, bio, avatar URL, address) with the user's ETag; If-None-Match "
    "with it answers 304. The user themselves or an admin (another user's id is 404).",
    tags=[PROFILE_TAG],
    operation_id="getUserProfile",
    security=BEARER,
    responses=responses(
        success("The profile", ProfileEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)
def get_user_profile(user_id: UUID, ctx: Context, if_none_match: IfNoneMatch = None) -> Response[str]:
    user = users.get_user(bootstrap.users(), ctx.principal, user_id)
    return document_read(user, present_profile(user.profile), if_none_match)


handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, CacheSettings))
