"""PUT /users/{user_id}/profile: replace a user's profile (the user or an admin; If-Match or body version)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfMatch
from storefront.http.user_routes import replace_document
from storefront.http.users import PROFILE_TAG, ProfileEnvelope, ProfileIn, present_profile, written

app = api_resolver()


@app.put(
    f"{PREFIX}/users/<user_id>/profile",
    summary="Replace a user's profile",
    description="Replaces the whole profile (a field left out is empty) and answers it with the user's new ETag; "
    "If-Match (or `version`) guards against lost updates: a stale one is 409. Account fields (role, status, "
    "password...) are not set here: 403 AUTH_003. The user themselves or an admin (another user's id is 404).",
    tags=[PROFILE_TAG],
    operation_id="replaceUserProfile",
    security=BEARER,
    responses=responses(
        success("The new profile", ProfileEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def replace_user_profile(
    user_id: UUID, body: Annotated[ProfileIn, Body()], ctx: Context, if_match: IfMatch = None
) -> Response[str]:
    user = replace_document("profile", user_id, body, ctx, if_match)
    return written(present_profile(user.profile), user)


handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, CacheSettings))
