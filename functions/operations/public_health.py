"""GET public/health: the process is up (public)."""

from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.openapi import responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

app.get(
    f"{PREFIX}/public/health",
    summary="Health",
    description="200 while the function's process answers; nothing else is checked. Public.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="publicHealth",
    responses=responses(success("The process is up", operations.HealthEnvelope), errors=(422,)),
)(operations.health)

# Static and outside the VPC (no Redis): the gateways' own limits guard it, never starved by per-client ones.
handler = lambda_entry(app, allow=None, reads_request=False, rate_limited=False)
