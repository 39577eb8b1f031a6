"""Invoked by an operator (no HTTP route): make a new key for a calling service in a deployment.

    aws lambda invoke --function-name <stack>-IssueServiceKey --cli-binary-format raw-in-base64-out \
        --payload '{"service": "billing", "tenant_id": "<uuid>"}' key.json

The answer (``key.json``) holds the key, shown this once; only its SHA-256 digest is stored. A third key of the
same service retires the oldest. ``{"retire_key_id": "<key id>", ...}`` retires one key at once (a leaked key).
Who may invoke it is IAM's decision (lambda:InvokeFunction on this function only).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aws_lambda_powertools.utilities.typing import LambdaContext

from storefront import bootstrap
from storefront.application.service_keys import issue_service_key, retire_service_key
from storefront.config import DatabaseSettings, load
from storefront.domain.errors import AppError
from storefront.observability import logger

load(DatabaseSettings)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """``{"service", "tenant_id"}`` -> ``{"service", "tenant_id", "key_id", "key"}``; with ``retire_key_id`` ->
    ``{"retired": true|false}``; a bad request -> ``{"error": ...}`` (never the key in a log)."""
    try:
        service, tenant_id = str(event["service"]), UUID(str(event["tenant_id"]))
        retire = UUID(str(event["retire_key_id"])) if event.get("retire_key_id") else None
    except (KeyError, TypeError, ValueError):
        return {"error": 'expected {"service": "<name>", "tenant_id": "<uuid>"} (and optionally "retire_key_id")'}
    ports = bootstrap.service_key_ports()
    try:
        if retire is not None:
            retired = retire_service_key(ports, tenant_id, service, retire)
            logger.info("service key retired", extra={"service": service, "key_id": str(retire), "retired": retired})
            return {"retired": retired}
        issued = issue_service_key(ports, tenant_id, service, f"lambda:{context.invoked_function_arn}")
    except AppError as error:
        return {"error": error.message, "details": error.details}
    logger.info("service key issued", extra={"service": service, "key_id": str(issued.record.id)})
    return {"service": service, "tenant_id": str(tenant_id), "key_id": str(issued.record.id), "key": issued.key}
