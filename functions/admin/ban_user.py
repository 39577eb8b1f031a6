"""POST /admin/users/{user_id}/ban: ban a user, every session ended at once (admin only; idempotent)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import users
from storefront.config import DatabaseSettings, RedisRequiredSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context
from storefront.http.users import ADMIN_TAG, NO_REASON, BanIn, UserEnvelope, present_user, written

app = api_resolver()


@app.post(
    f"{PREFIX}/admin/users/<user_id>/ban",
    summary="Ban a user",
    description="Sets the status banned: the user cannot sign in, every refresh token is revoked and every access "
    "token issued until now is refused from its next request. Recorded in the audit trail with the optional "
    "`reason`. Banning a banned user changes nothing (200). Not the admin's own account (409). Admin only.",
    tags=[ADMIN_TAG],
    operation_id="banUser",
    security=BEARER,
    responses=responses(
        success("The banned user", UserEnvelope, headers=(ETAG,)), errors=(*PROTECTED, *WITH_BODY, 404, 409)
    ),
)
def ban_user(user_id: UUID, ctx: Context, body: Annotated[BanIn, Body()] = NO_REASON) -> Response[str]:
    user = users.ban_user(bootstrap.users(), ctx.principal, user_id, body.reason, ctx.client_ip)
    return written(present_user(user), user)


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, RedisRequiredSettings))
