"""POST /users: open an account in the caller's tenant (admin only); it has no password until its owner sets one."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.identity import ADMINS
from storefront.http.openapi import BEARER, ETAG, LOCATION, PROTECTED, WITH_BODY, id_links, responses, success
from storefront.http.resolver import PREFIX, api_resolver, public_path
from storefront.http.users import USERS_TAG, UserCreateIn, UserEnvelope, present_user, written

app = api_resolver()


@app.post(
    f"{PREFIX}/users",
    summary="Create a user",
    description="Opens an account in the caller's tenant at version 1: email and username unique in the tenant "
    "whatever their case (409 otherwise), optionally role, status, email_verified, profile and settings. The "
    "account has no password: its owner sets one with forgot-password and reset-password. Admin only.",
    tags=[USERS_TAG],
    operation_id="createUser",
    security=BEARER,
    responses=responses(
        success(
            "Created",
            UserEnvelope,
            201,
            headers=(ETAG, LOCATION),
            links=id_links("user_id", ("GetUser", "getUser"), ("BanUser", "banUser"), ("DeleteUser", "deleteUser")),
        ),
        errors=(*PROTECTED, *WITH_BODY, 409),
    ),
)
def create_user(
    body: Annotated[UserCreateIn, Body()], ctx: Annotated[RequestContext, Depends(request_context)]
) -> Response[str]:
    edit = body.to_edit(ctx.principal)
    user = users.create_user(bootstrap.users(), ctx.principal, body.identity(), edit)
    return written(present_user(user), user, 201, {"Location": public_path(f"{PREFIX}/users/{user.id}")})


handler = lambda_entry(app, allow=ADMINS, requires=(DatabaseSettings, CacheSettings))
