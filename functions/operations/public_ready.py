"""GET public/ready: the database and Redis answer within the deadline (public)."""

from storefront.config import DatabaseSettings, OperationsSettings
from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.openapi import responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

app.get(
    f"{PREFIX}/public/ready",
    summary="Readiness",
    description=operations.READY_HELP + " Public, per client address limited (RATE_LIMITS of the function).",
    tags=[operations.OPERATIONS_TAG],
    operation_id="publicReady",
    responses=responses(success("Ready", operations.ReadinessEnvelope), errors=(422,)),
)(operations.readiness)

handler = lambda_entry(app, allow=None, reads_request=False, requires=(DatabaseSettings, OperationsSettings))
