"""GET public/info: what this API is and where it runs (public)."""

from storefront.config import OperationsSettings
from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.openapi import responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

app.get(
    f"{PREFIX}/public/info",
    summary="API information",
    description="The service's name and description, the deployment stage, the AWS region and the API version. Public.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="publicInfo",
    responses=responses(success("About this API", operations.InfoEnvelope), errors=(422,)),
)(operations.info)

# Static and outside the VPC (no Redis): the gateways' own limits guard it.
handler = lambda_entry(app, allow=None, reads_request=False, rate_limited=False, requires=(OperationsSettings,))
