"""``sqs_entry``: the one place an SQS-triggered handler is built.

A consumer function is ``handler = sqs_entry(process)``, where ``process`` takes one ``ConsumedMessage``
(the validated envelope and its ``data``). For every batch:

- Powertools' ``BatchProcessor`` (``EventType.SQS``) runs ``process`` per record and answers
  ``{"batchItemFailures": [...]}`` with the records that raised, so only those come back (the event source
  mapping must set ``FunctionResponseTypes: [ReportBatchItemFailures]``; a test checks the template).
  A batch where every record failed answers the same way rather than raising: SQS treats both alike.
- Each body is parsed with ``messages.envelope.parse``. An ``UnknownMessage`` (not an envelope, a type or
  version nobody registered, data its model refuses) can never succeed, so it is sent at once to the
  source queue's dead-letter queue and acknowledged instead of being retried maxReceiveCount times. If
  that send fails the record fails too, and SQS's redrive policy still brings it to the DLQ in the end.
- ``process`` raises ``UnknownMessage`` (or a subclass) for a registered type that does not belong on its
  queue: that record is dead-lettered at once too, like a body nobody can parse.
- ``around`` is the hook for per-message idempotency (the consumer's business): it receives the message
  and a callable running ``process``, and may skip it (already done) or record it once done.
- Logger (correlation id = the envelope's id while a record runs) and Metrics (``MessagesProcessed``,
  ``MessagesFailed``, ``MessagesDeadLettered``, cold start). No Powertools Tracer, as for HTTP functions
  (storefront.observability says why): active tracing records each invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from storefront import bootstrap
from storefront.messages.envelope import Envelope, MessageData, UnknownMessage, parse
from storefront.observability import logger, metrics, profiled


@dataclass(frozen=True)
class ConsumedMessage:
    """One received message: its validated envelope and data, and what SQS says about its delivery."""

    envelope: Envelope
    data: MessageData
    sqs_message_id: str
    receive_count: int  # 1 on the first delivery; grows each time the message comes back
    source_arn: str


Process = Callable[[ConsumedMessage], None]


# Runs around ``process`` for one message (idempotency: skip a message already handled, record it once done).
MessageHook = Callable[[ConsumedMessage, Callable[[], None]], None]


def _run(message: ConsumedMessage, process: Callable[[], None]) -> None:
    process()


def sqs_entry(process: Process, *, around: MessageHook = _run) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler for an SQS event source mapping that runs ``process`` on each record (see above)."""

    def record_handler(record: SQSRecord) -> None:
        try:
            envelope, data = parse(record.body)
        except UnknownMessage as refused:
            _dead_letter(record, str(refused))
            return
        message = ConsumedMessage(
            envelope=envelope,
            data=data,
            sqs_message_id=record.message_id,
            receive_count=int(record.attributes.approximate_receive_count or 1),
            source_arn=record.event_source_arn,
        )
        logger.set_correlation_id(str(envelope.id))
        logger.append_keys(message_type=envelope.type, tenant_id=str(envelope.tenant_id))
        try:
            around(message, lambda: process(message))
        except UnknownMessage as refused:
            # ``process`` refused a registered type that does not belong on its queue: no receive can fix it.
            _dead_letter(record, str(refused))
            return
        except Exception as error:
            # The record fails alone and comes back after the visibility timeout; the trace stays in the log.
            logger.exception("message failed: %s", type(error).__name__, extra={"receive_count": message.receive_count})
            metrics.add_metric(name="MessagesFailed", unit=MetricUnit.Count, value=1)
            raise
        finally:
            logger.remove_keys(["message_type", "tenant_id"])
            logger.set_correlation_id(None)
        metrics.add_metric(name="MessagesProcessed", unit=MetricUnit.Count, value=1)

    @metrics.log_metrics(capture_cold_start_metric=True)
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)

    return cast("Callable[[dict[str, Any], Any], dict[str, Any]]", profiled(handler))


def _dead_letter(record: SQSRecord, reason: str) -> None:
    """Send a refused record to its queue's DLQ and acknowledge it (raises, failing the record, when the
    DLQ cannot be reached)."""
    logger.warning(
        "message refused, sent to the dead-letter queue: %s", reason, extra={"sqs_message_id": record.message_id}
    )
    attributes = record.raw_event.get("messageAttributes") or {}
    bootstrap.dead_letters().send(record.event_source_arn, record.body, attributes, reason)
    metrics.add_metric(name="MessagesDeadLettered", unit=MetricUnit.Count, value=1)
