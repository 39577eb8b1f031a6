"""PUT /profile: replace the caller's own profile (any signed-in user; If-Match or body version)."""

from typing import Annotated

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
    f"{PREFIX}/profile",
    summary="Replace my profile",
    description="Replaces the caller's whole profile (a field left out is empty) and answers it with their "
    "account's new ETag; If-Match (or `version`) guards against lost updates: a stale one is 409. Account fields "
    "(role, status, password...) are not set here: 403 AUTH_003. 404 when the token names no account.",
    tags=[PROFILE_TAG],
    operation_id="replaceProfile",
    security=BEARER,
    responses=responses(
        success("My new profile", ProfileEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def replace_profile(body: Annotated[ProfileIn, Body()], ctx: Context, if_match: IfMatch = None) -> Response[str]:
    user = replace_document("profile", None, body, ctx, if_match)
    return written(present_profile(user.profile), user)


handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, CacheSettings))
