"""GET public/version: the version and git revision stamped at build (public)."""

from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.openapi import responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

app.get(
    f"{PREFIX}/public/version",
    summary="Version",
    description="The release and the git revision this code was built from, stamped into the shared layer by "
    "`make build` (and `make run`); `unknown` when the tree was never stamped. Public.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="publicVersion",
    responses=responses(success("The build", operations.VersionEnvelope), errors=(422,)),
)(operations.version)

# Static and outside the VPC (no Redis): the gateways' own limits guard it.
handler = lambda_entry(app, allow=None, reads_request=False, rate_limited=False)
