"""POST /public/auth/reset-password: set a new password with a reset token (public)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import auth
from storefront.config import AuthSettings, DatabaseSettings, RedisRequiredSettings
from storefront.http.auth import AUTH_TAG, ResetPasswordIn, TenantHeader, client_ip, requested_tenant
from storefront.http.entry import lambda_entry
from storefront.http.envelope import no_content
from storefront.http.openapi import WITH_BODY, empty, responses
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.post(
    f"{PREFIX}/public/auth/reset-password",
    summary="Reset the password",
    description="Sets a new password with the token of a reset email (single use, 30 minutes) and ends every "
    "session of the account: its refresh tokens and access tokens are refused from now on. A used, expired "
    "or unknown token is 422 VAL_002. Public.",
    tags=[AUTH_TAG],
    operation_id="resetPassword",
    responses=responses(empty("Password changed", 204), errors=WITH_BODY),
)
def reset_password(
    body: Annotated[ResetPasswordIn, Body()],
    x_tenant_id: TenantHeader = None,
) -> Response[str]:
    tenant = requested_tenant(x_tenant_id)
    auth.reset_password(bootstrap.identity(), tenant, body.token, body.new_password, client_ip(app.current_event))
    return no_content()


handler = lambda_entry(app, allow=None, requires=(AuthSettings, DatabaseSettings, RedisRequiredSettings), no_store=True)
