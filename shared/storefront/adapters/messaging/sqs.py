"""The MessagePublisher port on Amazon SQS (SendMessageBatch), and the dead-letter sink consumers use.

boto3 is imported only here, when the first client is built, so a function that never sends a message
never loads the SDK. The client's timeouts and retries are set explicitly (QueueSettings): botocore's
defaults (60 s connect and read, legacy retries) would let a Lambda hang until its own timeout.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from storefront.config import QueueSettings
from storefront.domain.errors import ExternalUnavailable
from storefront.messages.envelope import Envelope, Queue

SQS_BATCH_LIMIT = 10  # SendMessageBatch takes at most ten entries
MAX_DELAY_SECONDS = 900  # SQS's longest per-message delay
log = logging.getLogger(__name__)


def sqs_client(settings: QueueSettings, region: str | None = None) -> Any:
    """An SQS client with short timeouts and botocore's standard retry mode (jittered backoff)."""
    import boto3
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(
        connect_timeout=settings.sqs_connect_timeout_seconds,
        read_timeout=settings.sqs_read_timeout_seconds,
        retries={"mode": "standard", "max_attempts": settings.sqs_max_attempts},
    )
    return boto3.client("sqs", region_name=region, endpoint_url=settings.aws_endpoint_url_sqs, config=config)


class _LazyClient:
    """Builds the SQS client on first use (one per container), so building the adapter costs nothing."""

    def __init__(self, settings: QueueSettings, client: Any = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = sqs_client(self._settings)
            return self._client


def unreachable(action: str, error: Exception) -> ExternalUnavailable:
    """The ExternalUnavailable raised when SQS failed ``action``; the cause goes to the log, not the client."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    log.warning("SQS %s failed: %s%s", action, type(error).__name__, f" ({code})" if code else "")
    return ExternalUnavailable("The message queue is unavailable")


def message_attributes(message: Envelope) -> dict[str, dict[str, str]]:
    """The SQS message attributes of ``message``: its type and version, readable without parsing the body."""
    return {
        "type": {"DataType": "String", "StringValue": message.type},
        "version": {"DataType": "Number", "StringValue": str(message.version)},
    }


class SqsPublisher:
    """Sends envelopes to the queue URLs of QueueSettings, ten per SendMessageBatch call at most."""

    def __init__(self, settings: QueueSettings, client: Any = None) -> None:
        self._settings = settings
        self._client = _LazyClient(settings, client)

    def publish(self, queue: Queue, messages: Sequence[Envelope], delay_seconds: int = 0) -> list[UUID]:
        """Send ``messages`` to ``queue`` (invisible for ``delay_seconds``, 0..900, and on the order-processing queue
        for at least ``order_processing_delay_seconds``); returns the ids SQS did not
        accept. ExternalUnavailable when the call itself fails (unreachable, timed out after retries, throttled,
        refused); ConfigurationError when the queue's URL is not set."""
        if not messages:
            return []
        if len(messages) > SQS_BATCH_LIMIT:
            raise ValueError(f"at most {SQS_BATCH_LIMIT} messages per call, got {len(messages)}")
        ids = [str(m.id) for m in messages]
        if len(set(ids)) != len(ids):
            raise ValueError("a batch names the same message id twice")
        url = self._settings.url(queue.value)
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"SQS delays 0 to {MAX_DELAY_SECONDS} seconds, not {delay_seconds}")
        if queue is Queue.ORDER_PROCESSING:  # ORDER_PROCESSING_DELAY_SECONDS (0 unless set): at least that long
            delay_seconds = max(delay_seconds, self._settings.order_processing_delay_seconds)
        entries: list[dict[str, Any]] = [
            {"Id": str(m.id), "MessageBody": m.to_json(), "MessageAttributes": message_attributes(m)} for m in messages
        ]
        if delay_seconds:
            for entry in entries:
                entry["DelaySeconds"] = delay_seconds
        try:
            response = self._client.get().send_message_batch(QueueUrl=url, Entries=entries)
        except (BotoCoreError, ClientError) as error:
            raise unreachable("SendMessageBatch", error) from error
        failed = response.get("Failed") or []
        for entry in failed:
            log.warning("SQS refused message %s: %s", entry.get("Id"), entry.get("Code"))
        return [UUID(entry["Id"]) for entry in failed]


class SqsDeadLetters:
    """Sends a message a consumer refuses straight to its dead-letter queue: DEAD_LETTER_QUEUE_URL when set,
    else the DLQ the source queue's redrive policy names (read once per source queue)."""

    def __init__(self, settings: QueueSettings, client: Any = None) -> None:
        self._settings = settings
        self._client = _LazyClient(settings, client)
        self._targets: dict[str, str] = {}

    def send(self, source_arn: str, body: str, attributes: Mapping[str, Any], reason: str) -> None:
        """Put ``body`` (with its message ``attributes`` as the Lambda event gives them) on the DLQ of the
        queue ``source_arn``, with the ``reason`` it was refused; ExternalUnavailable when SQS fails."""
        from botocore.exceptions import BotoCoreError, ClientError

        sent = {name: _attribute(value) for name, value in attributes.items()}
        sent["refused_because"] = {"DataType": "String", "StringValue": reason[:1000] or "refused"}
        try:
            url = self.target(source_arn)
            self._client.get().send_message(QueueUrl=url, MessageBody=body, MessageAttributes=sent)
        except (BotoCoreError, ClientError) as error:
            raise unreachable("SendMessage to the dead-letter queue", error) from error

    def target(self, source_arn: str) -> str:
        """The URL of the dead-letter queue of the queue ``source_arn``."""
        if self._settings.dead_letter_queue_url:
            return self._settings.dead_letter_queue_url
        if source_arn not in self._targets:
            client = self._client.get()
            source_url = queue_url(client.meta.endpoint_url, source_arn)
            found = client.get_queue_attributes(QueueUrl=source_url, AttributeNames=["RedrivePolicy"])
            policy = json.loads(found.get("Attributes", {}).get("RedrivePolicy") or "{}")
            if "deadLetterTargetArn" not in policy:
                raise ValueError(f"{source_arn} has no redrive policy: set DEAD_LETTER_QUEUE_URL")
            self._targets[source_arn] = queue_url(client.meta.endpoint_url, policy["deadLetterTargetArn"])
        return self._targets[source_arn]


def queue_url(endpoint: str, arn: str) -> str:
    """The URL of the queue ``arn`` (arn:aws:sqs:<region>:<account>:<name>) at the SQS ``endpoint``."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"not an SQS queue ARN: {arn!r}")
    return f"{endpoint.rstrip('/')}/{parts[4]}/{parts[5]}"


def _attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """A Lambda event's message attribute (stringValue, dataType, ...) as SendMessage takes it."""
    data_type = str(value.get("dataType") or value.get("DataType") or "String")
    if data_type.startswith("Binary"):
        import base64

        raw = value.get("binaryValue") or value.get("BinaryValue") or ""
        return {"DataType": data_type, "BinaryValue": base64.b64decode(raw) if isinstance(raw, str) else raw}
    text = value.get("stringValue", value.get("StringValue", ""))
    return {"DataType": data_type, "StringValue": str(text)}
