"""POST /public/auth/logout: end the caller's session (any authenticated caller)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import auth
from storefront.config import AuthSettings, DatabaseSettings, RedisRequiredSettings
from storefront.http.auth import AUTH_TAG, RefreshIn, client_ip
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import no_content
from storefront.http.identity import ANY_ROLE
from storefront.http.openapi import BEARER, PROTECTED, WITH_BODY, empty, responses
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.post(
    f"{PREFIX}/public/auth/logout",
    summary="Log out",
    description="Revokes the refresh token's login (its family) when it is the caller's, and the access token "
    "sent with the request: both are refused from now on. Needs the access token.",
    tags=[AUTH_TAG],
    operation_id="logout",
    security=BEARER,
    responses=responses(empty("Logged out", 204), errors=(*PROTECTED, *WITH_BODY)),
)
def logout(
    body: Annotated[RefreshIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    auth.logout(bootstrap.identity(), ctx.principal, body.refresh_token, client_ip(app.current_event))
    return no_content()


handler = lambda_entry(
    app, allow=ANY_ROLE, requires=(AuthSettings, DatabaseSettings, RedisRequiredSettings), no_store=True
)
