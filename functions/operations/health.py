"""GET /api/v1/health (internal: IAM behind API Gateway): the process is up."""

from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.identity import OPERATORS
from storefront.http.openapi import INTERNAL, PROTECTED, responses, success
from storefront.http.resolver import api_resolver

app = api_resolver()

app.get(
    "/api/v1/health",
    summary="Health (internal)",
    description="200 while the function's process answers; nothing else is checked. Internal: an IAM-signed "
    "request (SigV4) behind API Gateway, a service or admin token behind Kong.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="internalHealth",
    security=INTERNAL,
    responses=responses(success("The process is up", operations.HealthEnvelope), errors=(*PROTECTED, 404, 422)),
)(operations.health)

# Reads nothing and runs outside the VPC: no per-client limits (IAM callers only; the stage throttle holds).
handler = lambda_entry(app, allow=OPERATORS, iam=True, reads_request=False, rate_limited=False)
