"""POST /api/v1/internal/users/validate: another service asks whether an access token is valid, and whose it is."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.config import CacheSettings, TokenSettings
from storefront.http.context import RequestContext, request_context
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.identity import SERVICES
from storefront.http.internal import validated_principal
from storefront.http.internal_routes import INTERNAL, INTERNAL_TAG, PrincipalEnvelope, TokenIn, present_principal
from storefront.http.openapi import PROTECTED, WITH_BODY, responses, success
from storefront.http.resolver import api_resolver

app = api_resolver()


@app.post(
    "/api/v1/internal/users/validate",
    summary="Validate an access token",
    description="Checks a user's access token as a protected route would (signature, expiry, claims, revocation) and "
    "answers its principal; 401 AUTH_001 (AUTH_002 when expired) otherwise, also for another tenant's token. "
    "IAM (API Gateway only) with X-Service-Name and X-API-Key; the key's tenant is the one checked. "
    "A request without a SigV4 signature is answered as "
    "API Gateway answers it on an IAM route here: 404 BIZ_001, as an unknown route.",
    tags=[INTERNAL_TAG],
    operation_id="validateToken",
    security=INTERNAL,
    responses=responses(success("The token's principal", PrincipalEnvelope), errors=(*PROTECTED, *WITH_BODY, 404)),
)
def validate_token(
    body: Annotated[TokenIn, Body()],
    ctx: Annotated[RequestContext, Depends(request_context)],
) -> Response[str]:
    principal = validated_principal(body.token, ctx.tenant_id, bootstrap.token_verifier(), bootstrap.rate_limiter)
    return ok(present_principal(principal), headers={"Cache-Control": "no-store"})


handler = lambda_entry(app, allow=SERVICES, service_key=True, iam=True, requires=(TokenSettings, CacheSettings))
