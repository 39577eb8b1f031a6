"""POST /public/auth/login: exchange a login and password for a token pair (public)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import auth
from storefront.http.auth import (
    AUTH_TAG,
    ISSUER_REQUIRES,
    LoginIn,
    TenantHeader,
    TokenPairEnvelope,
    client_ip,
    present_pair,
    requested_tenant,
)
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.openapi import WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.post(
    f"{PREFIX}/public/auth/login",
    summary="Log in",
    description="Exchanges an email or username and its password for an access token (Bearer) and a refresh "
    "token. Every failure is the same 401 AUTH_001; after too many failures the account (or the client "
    "address) is locked for a while: the right password is refused too, with Retry-After. Public.",
    tags=[AUTH_TAG],
    operation_id="login",
    responses=responses(success("Signed in", TokenPairEnvelope), errors=(*WITH_BODY, 401)),
)
def login(
    body: Annotated[LoginIn, Body()],
    x_tenant_id: TenantHeader = None,
) -> Response[str]:
    tenant = requested_tenant(x_tenant_id)
    pair = auth.login(bootstrap.identity(), tenant, body.login, body.password, client_ip(app.current_event))
    return ok(present_pair(pair))


handler = lambda_entry(
    app,
    allow=None,
    requires=ISSUER_REQUIRES,
    no_store=True,
)
