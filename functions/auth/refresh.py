"""POST /public/auth/refresh: rotate a refresh token into a new token pair (public)."""

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
    RefreshIn,
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
    f"{PREFIX}/public/auth/refresh",
    summary="Refresh the tokens",
    description="Uses up a refresh token and answers a new pair. A refresh token works once: presenting one "
    "that was already used revokes every token of its login (its family), and answers 401 AUTH_001. Public.",
    tags=[AUTH_TAG],
    operation_id="refreshTokens",
    responses=responses(success("New tokens", TokenPairEnvelope), errors=(*WITH_BODY, 401)),
)
def refresh(
    body: Annotated[RefreshIn, Body()],
    x_tenant_id: Annotated[str | None, Header(alias="x-tenant-id", description=TENANT_HEADER_HELP)] = None,
) -> Response[str]:
    tenant = tenant_of(x_tenant_id, load(AuthSettings).default_tenant_id)
    pair = auth.refresh(bootstrap.identity(), tenant, body.refresh_token, client_ip(app.current_event))
    return ok(present_pair(pair))


handler = lambda_entry(
    app,
    allow=None,
    requires=(AuthSettings, IssuerSettings, TokenSettings, DatabaseSettings, RedisRequiredSettings),
    no_store=True,
)
