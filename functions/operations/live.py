"""GET /api/v1/live (internal: IAM behind API Gateway): liveness, the process answers."""

from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.identity import OPERATORS
from storefront.http.openapi import INTERNAL, PROTECTED, responses, success
from storefront.http.resolver import api_resolver

app = api_resolver()

app.get(
    "/api/v1/live",
    summary="Liveness (internal)",
    description="200 while the function can answer at all: a failing liveness probe means restart, so no "
    "dependency is asked (see /api/v1/ready for those). Internal: IAM behind API Gateway, a service or admin "
    "token behind Kong.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="internalLive",
    security=INTERNAL,
    responses=responses(success("The process answers", operations.LivenessEnvelope), errors=(*PROTECTED, 404, 422)),
)(operations.liveness)

# Reads nothing and runs outside the VPC: no per-client limits (IAM callers only; the stage throttle holds).
handler = lambda_entry(app, allow=OPERATORS, iam=True, reads_request=False, rate_limited=False)
