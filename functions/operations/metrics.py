"""GET /api/v1/metrics (internal: IAM behind API Gateway): the operational metrics for Prometheus."""

from storefront.config import CacheSettings, DatabaseSettings, OperationsSettings, QueueSettings
from storefront.http import operations
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.openapi import INTERNAL, PROTECTED, responses, text
from storefront.http.prometheus import CONTENT_TYPE
from storefront.http.resolver import api_resolver

app = api_resolver()

app.get(
    "/api/v1/metrics",
    summary="Metrics (internal, Prometheus text)",
    description="The Prometheus text exposition (0.0.4): queue and dead-letter queue depths, the outbox backlog "
    "and its oldest message's age, orders by status, Redis's cache hit ratio and this container's database pool. "
    "Each source has METRICS_SOURCE_TIMEOUT_SECONDS (default 2 s); one that fails or is late is reported as "
    "`storefront_metrics_source_up{source=...} 0`, never as an error. Internal: IAM behind API Gateway (a deployment "
    "operator: every tenant's figures), a service token behind Kong (its tenant's orders and outbox only; "
    "an admin's token is 403 there).",
    tags=[operations.OPERATIONS_TAG],
    operation_id="internalMetrics",
    security=INTERNAL,
    responses=responses(text("The metrics", CONTENT_TYPE), errors=(*PROTECTED, 404, 422)),
)(operations.metrics)

# No per-client limit: a scraper calls on a schedule, and the limiter in Redis is itself a source it reports.
handler = lambda_entry(
    app,
    allow=SERVICES,
    iam=True,
    reads_request=False,
    rate_limited=False,
    requires=(DatabaseSettings, CacheSettings, QueueSettings, OperationsSettings),
)
