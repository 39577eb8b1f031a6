"""GET /profile: the caller's own profile, tagged with their account's version (any signed-in user)."""

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
    f"{PREFIX}/profile",
    summary="Get my profile",
    description="The caller's profile (display name, phone, bio, avatar URL, address) with their account's ETag; "
    "If-None-Match with it answers 304. 404 when the token names no account (a deleted one, a service).",
    tags=[PROFILE_TAG],
    operation_id="getProfile",
    security=BEARER,
    responses=responses(
        success("My profile", ProfileEnvelope, headers=(ETAG,)),
        empty("Not modified: If-None-Match names the current ETag", 304, headers=(ETAG,)),
        errors=(*PROTECTED, 404, 422),
    ),
)
def get_profile(ctx: Context, if_none_match: IfNoneMatch = None) -> Response[str]:
    user = users.get_user(bootstrap.users(), ctx.principal, users.own_id(ctx.principal))
    return document_read(user, present_profile(user.profile), if_none_match)


handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, CacheSettings))
