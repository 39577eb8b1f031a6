"""GET /api/v1/ready (internal: IAM behind API Gateway): the database and Redis answer within the deadline."""

from storefront.config import CacheSettings, DatabaseSettings, OperationsSettings
from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.identity import OPERATORS
from storefront.http.openapi import INTERNAL, PROTECTED, responses, success
from storefront.http.resolver import api_resolver

app = api_resolver()

app.get(
    "/api/v1/ready",
    summary="Readiness (internal)",
    description=operations.READY_HELP + " Internal: IAM behind API Gateway, a service or admin token behind Kong.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="internalReady",
    security=INTERNAL,
    responses=responses(success("Ready", operations.ReadinessEnvelope), errors=(*PROTECTED, 404, 422)),
)(operations.readiness)

# No per-client limit: the limiter lives in Redis, and a probe must report Redis down, not be refused by it.
handler = lambda_entry(
    app,
    allow=OPERATORS,
    iam=True,
    reads_request=False,
    rate_limited=False,
    requires=(DatabaseSettings, CacheSettings, OperationsSettings),
)
