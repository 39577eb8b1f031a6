"""PUT /profile/settings: replace the caller's own settings (any signed-in user; If-Match or body version)."""

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
from storefront.http.users import PROFILE_TAG, SettingsEnvelope, SettingsIn, present_settings, written

app = api_resolver()


@app.put(
    f"{PREFIX}/profile/settings",
    summary="Replace my settings",
    description="Replaces the caller's settings (a field left out takes its default: en, UTC, email notifications "
    "only); the time zone must be an IANA one. If-Match (or `version`) guards against lost updates: a stale one "
    "is 409. Account fields are not set here: 403 AUTH_003. 404 when the token names no account.",
    tags=[PROFILE_TAG],
    operation_id="replaceSettings",
    security=BEARER,
    responses=responses(
        success("My new settings", SettingsEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def replace_settings(body: Annotated[SettingsIn, Body()], ctx: Context, if_match: IfMatch = None) -> Response[str]:
    user = replace_document("settings", None, body, ctx, if_match)
    return written(present_settings(user.settings), user)


handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, CacheSettings))
