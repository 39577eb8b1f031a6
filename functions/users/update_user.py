"""PATCH /users/{user_id}: change some fields of a user, profile and settings merged (the user or an admin)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import users
from storefront.config import DatabaseSettings, RedisRequiredSettings
from storefront.http.conditional import expected_version
from storefront.http.entry import lambda_entry
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, IfMatch
from storefront.http.users import USERS_TAG, UserEnvelope, UserPatch, present_user, written

app = api_resolver()


@app.patch(
    f"{PREFIX}/users/<user_id>",
    summary="Change some fields of a user",
    description="Changes the fields sent and keeps the others; `profile` and `settings` merge field by field (RFC "
    "7396: null clears a profile field, puts a setting's default back). If-Match (or `version`) guards against "
    "lost updates. Role, status and email_verified only by an admin (403 AUTH_003 naming the field otherwise); "
    "password and tenant_id by no one here. The user themselves or an admin (another user's id is 404).",
    tags=[USERS_TAG],
    operation_id="updateUser",
    security=BEARER,
    responses=responses(
        success("The new version", UserEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def update_user(
    user_id: UUID, body: Annotated[UserPatch, Body()], ctx: Context, if_match: IfMatch = None
) -> Response[str]:
    edit = body.to_edit(ctx.principal)
    version = expected_version(if_match, body.version)
    user = users.update_user(bootstrap.users(), ctx.principal, user_id, edit, version, ctx.client_ip)
    return written(present_user(user), user)


handler = lambda_entry(app, allow=ANY_ROLE, requires=(DatabaseSettings, RedisRequiredSettings))
