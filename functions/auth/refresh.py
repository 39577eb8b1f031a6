"""POST /public/auth/refresh: rotate a refresh token into a new token pair (public)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import auth
from storefront.http.auth import (
    AUTH_TAG,
    ISSUER_REQUIRES,
    RefreshIn,
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
    x_tenant_id: TenantHeader = None,
) -> Response[str]:
    tenant = requested_tenant(x_tenant_id)
    pair = auth.refresh(bootstrap.identity(), tenant, body.refresh_token, client_ip(app.current_event))
    return ok(present_pair(pair))


handler = lambda_entry(
    app,
    allow=None,
    requires=ISSUER_REQUIRES,
    no_store=True,
)
