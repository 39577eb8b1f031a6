"""GET public/status: every component's state (public)."""

from storefront.config import DatabaseSettings, OperationsSettings
from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.openapi import responses, success
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()

app.get(
    f"{PREFIX}/public/status",
    summary="Component status",
    description="The database's and Redis's state (each asked within READY_DEADLINE_SECONDS) and the version: "
    "`ok` when both are up, `degraded` when one is, `down` when none is. Always 200: it reports, "
    "where public/ready refuses. Public, per client address limited.",
    tags=[operations.OPERATIONS_TAG],
    operation_id="publicStatus",
    responses=responses(success("The components", operations.StatusEnvelope), errors=(422,)),
)(operations.status)

handler = lambda_entry(app, allow=None, reads_request=False, requires=(DatabaseSettings, OperationsSettings))
