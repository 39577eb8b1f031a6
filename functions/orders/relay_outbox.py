"""Scheduled (every minute): send the outbox's unpublished messages to their queues, oldest first.

Each batch is claimed with SELECT ... FOR UPDATE SKIP LOCKED, so runs that overlap never send the same row in
one pass; a message whose send fails stays unpublished with one more attempt counted, and is tried next run.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from storefront import bootstrap
from storefront.application.outbox import relay_outbox
from storefront.config import DatabaseSettings, load
from storefront.observability import logger, metrics, profiled

load(DatabaseSettings)  # a misconfigured relay fails its cold start, not its first run


@profiled
@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Relay one round of the outbox; the counts are returned and logged."""
    publisher = bootstrap.message_publisher()
    if publisher is None:
        logger.warning("no queue is configured: the outbox keeps its messages")
        return {"claimed": 0, "published": 0, "failed": 0}
    report = relay_outbox(bootstrap.order_unit_of_work, publisher, bootstrap.orders().clock)
    result = {"claimed": report.claimed, "published": report.published, "failed": report.failed}
    logger.info("outbox relayed", extra=result)
    return result
