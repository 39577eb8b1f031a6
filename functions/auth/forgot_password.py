"""POST /public/auth/forgot-password: queue a reset email if the email names an account (public, always 202)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import auth
from storefront.config import AuthSettings, DatabaseSettings, RedisRequiredSettings
from storefront.http.auth import (
    ACCEPTED,
    AUTH_TAG,
    AcceptedEnvelope,
    ForgotPasswordIn,
    TenantHeader,
    client_ip,
    requested_tenant,
)
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.openapi import WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.post(
    f"{PREFIX}/public/auth/forgot-password",
    summary="Ask for a password reset",
    description="Always 202, whether the email names an account or not. When it names an active one, a "
    "single-use reset link valid for 30 minutes is mailed to it. Requests are limited per email and address. "
    "Public.",
    tags=[AUTH_TAG],
    operation_id="forgotPassword",
    responses=responses(success("Accepted", AcceptedEnvelope, 202), errors=WITH_BODY),
)
def forgot_password(
    body: Annotated[ForgotPasswordIn, Body()],
    x_tenant_id: TenantHeader = None,
) -> Response[str]:
    tenant = requested_tenant(x_tenant_id)
    auth.forgot_password(bootstrap.identity(), tenant, body.email, client_ip(app.current_event))
    return ok(ACCEPTED, 202)


handler = lambda_entry(app, allow=None, requires=(AuthSettings, DatabaseSettings, RedisRequiredSettings), no_store=True)
