"""OPTIONS on any API path: the CORS preflight (204), answered alike behind Kong and API Gateway."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from storefront.http.entry import lambda_entry
from storefront.http.preflight import preflight
from storefront.http.resolver import PREFIX, api_resolver

app = api_resolver()


@app.route(f"{PREFIX}/.+", method="OPTIONS")
@app.route("/api/v1/.+", method="OPTIONS")  # the IAM routes (health, live, ready, metrics, internal) sit outside it
def cors_preflight(origin: Annotated[str | None, Header(alias="origin")] = None) -> Response[str]:
    return preflight(app.current_event.path, origin)


# A static answer outside the VPC (no Redis): the gateways' own limits guard it (ARCHITECTURE.md, Rate limits).
handler = lambda_entry(app, allow=None, rate_limited=False)
