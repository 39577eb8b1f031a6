"""The events AWS hands a function outside API Gateway, built as AWS builds them.

- **SQS** (Lambda event source mapping, https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html):
  ``{"Records": [...]}``, one record per received message with ``messageId``, ``receiptHandle``, ``body``,
  ``attributes`` (the message's system attributes as strings: ``ApproximateReceiveCount``,
  ``SentTimestamp``, ``SenderId``, ``ApproximateFirstReceiveTimestamp``, and ``AWSTraceHeader``,
  ``SequenceNumber``, ``MessageGroupId``, ``MessageDeduplicationId``, ``DeadLetterQueueSourceArn`` when the
  message has them), ``messageAttributes`` (camel-cased: ``stringValue``, ``binaryValue`` base64,
  ``stringListValues``, ``binaryListValues``, ``dataType``), ``md5OfBody``, ``md5OfMessageAttributes``
  (only when there are attributes), ``eventSource`` ``"aws:sqs"``, ``eventSourceARN`` and ``awsRegion``.
  The answer with ReportBatchItemFailures is ``{"batchItemFailures": [{"itemIdentifier": <messageId>}]}``.
- **EventBridge schedule** (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html):
  ``version`` "0", ``id``, ``detail-type`` "Scheduled Event", ``source`` "aws.events", ``account``,
  ``time`` (UTC, whole seconds, ``Z``), ``region``, ``resources`` (the rule's ARN) and ``detail`` ``{}``.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

REGION = "eu-west-1"  # the local run's region and account (moto's default account)
ACCOUNT = "123456789012"
# The system attributes a Lambda SQS record carries (ReceiveMessage may return more).
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "DeadLetterQueueSourceArn",
)


def queue_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    """The ARN of the queue ``name``."""
    return f"arn:aws:sqs:{region}:{account}:{name}"


def sqs_record(message: Mapping[str, Any], source_arn: str, region: str = REGION) -> dict[str, Any]:
    """The Lambda record of one message as ReceiveMessage returned it (``AttributeNames=["All"]``,
    ``MessageAttributeNames=["All"]``)."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: str(v) for k, v in (message.get("Attributes") or {}).items() if k in RECORD_ATTRIBUTES},
        "messageAttributes": {
            name: _record_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _record_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_b64(v) for v in value.get("BinaryListValues") or []],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _b64(value["BinaryValue"])
    return attribute


def _b64(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


def sqs_event(messages: Sequence[Mapping[str, Any]], source_arn: str, region: str = REGION) -> dict[str, Any]:
    """The event a function receives for one batch of received ``messages``."""
    return {"Records": [sqs_record(m, source_arn, region) for m in messages]}


def failed_ids(result: Any, event: Mapping[str, Any]) -> set[str]:
    """The message ids a handler's answer reports as failed, as Lambda reads it with ReportBatchItemFailures:
    a malformed answer, or an ``itemIdentifier`` naming no record of the batch, fails the whole batch."""
    every = {r["messageId"] for r in event["Records"]}
    if not isinstance(result, Mapping):
        return set() if result is None else every
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return every
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in every:
            return every
        failed.add(identifier)
    return failed


def scheduled_event(rule: str, at: datetime, region: str = REGION, account: str = ACCOUNT) -> dict[str, Any]:
    """The event an EventBridge schedule rule named ``rule`` sends at ``at``."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
        "detail": {},
    }
