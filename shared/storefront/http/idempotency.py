"""``Idempotency-Key`` on a POST: the same key with the same body answers the first response again, byte for byte.

Powertools' idempotency utility keeps the record in Redis (``CachePersistenceLayer``): the key is the caller's
tenant, user and header value (so two users' keys never meet), the payload validated against it is the parsed
body (so the same key with another body is 409 BIZ_002, as is a key whose first request is still running). The
stored value is the whole first response: status, body and headers. A replay answers that body byte for byte
(so its ``meta.request_id`` is the first call's) with ``Idempotent-Replayed: true``; its ``X-Request-ID``
header, set after the handler, is the current request's, which is the one in this request's logs.

The key is a promise to the caller that a retry places nothing twice, and only the record keeps it (the database
cannot tell a retried order from a second one). So a request that carries a key fails closed when the record
cannot be asked (Redis unreachable): 503 SYS_003 with ``Retry-After``, before anything is written, logged and
counted (``IdempotencyUnavailable``); the client retries later with the same key. A request without a key does
not need the store and runs as usual. Without REDIS_URL (no store configured: the unit tests; every deployment
and every local run has one) keys are not checked. A response made while its record could not be stored
afterwards (Redis lost mid-request) is still answered, counted as ``IdempotencyUnchecked``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.metrics import MetricUnit

from storefront import bootstrap
from storefront.domain.errors import Conflict, ErrorCode, ServiceUnavailable, ValidationFailed
from storefront.http.envelope import JSON
from storefront.http.openapi import header
from storefront.observability import logger, metrics

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # 1 to 255 visible ASCII characters (a UUID, a ULID, a client's own scheme)
EXPIRES_AFTER_SECONDS = 24 * 3600
RETRY_AFTER_SECONDS = 5  # the Retry-After of a keyed request refused while the store cannot be asked
_KEY = re.compile(KEY_PATTERN)
KEY_HELP = "Send the same key again with the same body to get the first answer again; another body is 409."
# The request header as a route parameter (documented in the OpenAPI document; checked_key judges its value).
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", pattern=KEY_PATTERN, description=KEY_HELP)]
REPLAYED_HEADER = {  # the response header, for the OpenAPI document
    REPLAYED: header(
        "true when this is the stored first response to the same Idempotency-Key and body (the body byte for byte, "
        "its meta.request_id the first call's; X-Request-ID is this request's).",
        required=False,
        schema={"type": "string", "enum": ["true"]},
    )
}


def checked_key(value: str | None) -> str | None:
    """The header's key, or None when absent; VAL_002 naming the header when it is empty, too long or not visible
    ASCII."""
    if value is None:
        return None
    if not _KEY.match(value):
        raise ValidationFailed.single(HEADER, ErrorCode.INVALID_FORMAT, "must be 1 to 255 visible ASCII characters")
    return value


def idempotent(
    key: str | None, scope: str, body: Any, respond: Callable[[], Response[str]], lambda_context: Any = None
) -> Response[str]:
    """``respond()``, or the response it gave the first time this ``key`` came with this ``body`` in ``scope``."""
    if key is None:
        return respond()
    store = bootstrap.idempotency_store()
    if store is None:  # no REDIS_URL: a configuration without the store (every deployment sets it)
        return respond()
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyInconsistentStateError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    outcome: dict[str, Any] = {}

    def first(request: dict[str, Any]) -> dict[str, Any]:
        try:
            response = respond()
        except Exception as error:
            outcome["error"] = error
            raise
        outcome["response"] = response
        return {"status": response.status_code, "body": response.body, "headers": dict(response.headers)}

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)  # a run cut short by its timeout frees its key
    once = idempotent_function(
        first, data_keyword_argument="request", persistence_store=store, config=config, key_prefix="storefront"
    )
    try:
        stored = once(request={"key": f"{scope}:{key}", "body": body})
    except IdempotencyValidationError:
        raise Conflict(
            "Idempotency key reused with another body",
            details={"field": HEADER, "reason": "this key was first sent with another body; use a new key"},
        ) from None
    except (IdempotencyAlreadyInProgressError, IdempotencyInconsistentStateError):
        # in progress, or a record that kept changing while it was read (concurrent requests with the key)
        raise Conflict(
            "A request with this idempotency key is still in progress",
            details={"field": HEADER, "reason": "wait for the first request's answer, then retry"},
        ) from None
    except IdempotencyPersistenceLayerError:
        if "error" in outcome:  # the request failed on its own; its error is the answer
            raise outcome["error"] from None
        if "response" in outcome:  # done, but not remembered: a repeat will run again (the database decides)
            logger.warning("the idempotency record could not be stored", exc_info=True)
            metrics.add_metric(name="IdempotencyUnchecked", unit=MetricUnit.Count, value=1)
            response: Response[str] = outcome["response"]
            return response
        logger.warning("idempotency store unreachable; a request with a key is refused", exc_info=True)
        raise _store_unavailable() from None
    if "response" in outcome:
        fresh: Response[str] = outcome["response"]
        return fresh
    headers = {**dict(stored["headers"]), REPLAYED: "true"}
    return Response(int(stored["status"]), JSON, str(stored["body"]), headers=headers)


def _store_unavailable() -> ServiceUnavailable:
    """503 SYS_003 with Retry-After, for a keyed request whose record cannot be asked: nothing was written."""
    metrics.add_metric(name="IdempotencyUnavailable", unit=MetricUnit.Count, value=1)
    error = ServiceUnavailable(
        "The idempotency store is unavailable; retry later with the same Idempotency-Key",
        details={"field": HEADER, "reason": "the key cannot be checked now; nothing was done"},
    )
    error.retry_after = RETRY_AFTER_SECONDS
    return error
