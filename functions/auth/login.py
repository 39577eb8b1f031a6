"""POST /public/auth/login: exchange a login and password for a token pair (public)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from storefront import bootstrap
from storefront.application import auth
from storefront.config import (
    AuthSettings,
    DatabaseSettings,
    IssuerSettings,
    RedisRequiredSettings,
    TokenSettings,
    load,
)
from storefront.http.auth import (
    AUTH_TAG,
    TENANT_HEADER_HELP,
    LoginIn,
    TokenPairEnvelope,
    client_ip,
    present_pair,
    tenant_of,
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
    x_tenant_id: Annotated[str | None, Header(alias="x-tenant-id", description=TENANT_HEADER_HELP)] = None,
) -> Response[str]:
    tenant = tenant_of(x_tenant_id, load(AuthSettings).default_tenant_id)
    pair = auth.login(bootstrap.identity(), tenant, body.login, body.password, client_ip(app.current_event))
    return ok(present_pair(pair))


handler = lambda_entry(
    app,
    allow=None,
    requires=(AuthSettings, IssuerSettings, TokenSettings, DatabaseSettings, RedisRequiredSettings),
    no_store=True,
)
