"""The outbox's two senders: a use case sends the messages of its own committed transaction at once, and the
scheduled relay sends whatever is still unpublished (a send that failed, or a run without queues).

Sending is at-least-once: a message may go out twice (the relay can claim a row whose first send succeeded
but could not be recorded), so consumers deduplicate on the envelope's id. Nothing is ever sent for a
transaction that did not commit: the rows only exist once it did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby
from uuid import UUID

from aws_lambda_powertools.metrics import MetricUnit

from storefront.application.ports import Clock, MessagePublisher, OrderUnitOfWork, OutboxMessage, OutboxUnitOfWork
from storefront.domain.errors import AppError
from storefront.messages.envelope import Envelope, Queue
from storefront.observability import logger, metrics

SQS_BATCH = 10  # SendMessageBatch's limit
RELAY_BATCH = 100  # messages claimed per transaction
RELAY_BATCHES = 10  # transactions per run at most: a backlog drains over several runs, never in one long one
# A message younger than this is left to the request that wrote it, which sends it right after its commit; the
# relay takes it only when that send failed (or there was no queue), so it is rarely sent twice.
RELAY_GRACE = timedelta(seconds=30)


def publish_committed(
    unit_of_work: Callable[[], OutboxUnitOfWork],
    publisher: MessagePublisher | None,
    clock: Clock,
    outgoing: Sequence[tuple[Queue, Envelope]],
) -> None:
    """Send the messages a committed transaction wrote and record the ones accepted. A failure is logged and
    counted (``OutboxPublishFailed``), never raised: the change stands and the relay sends the rest later."""
    if not outgoing:
        return
    if publisher is None:
        logger.info("no queue configured: messages stay in the outbox", extra={"messages": len(outgoing)})
        metrics.add_metric(name="OutboxPublishDeferred", unit=MetricUnit.Count, value=len(outgoing))
        return
    accepted: list[UUID] = []
    for queue, group in groupby(outgoing, key=lambda pair: pair[0]):
        messages = [message for _, message in group]
        for start in range(0, len(messages), SQS_BATCH):
            batch = messages[start : start + SQS_BATCH]
            accepted += _send(publisher, queue, batch, [m.id for m in batch])
    failed = len(outgoing) - len(accepted)
    if failed:
        metrics.add_metric(name="OutboxPublishFailed", unit=MetricUnit.Count, value=failed)
    if accepted:
        try:
            with unit_of_work() as uow:
                uow.outbox.mark_published(accepted, clock.now())
                uow.commit()
        except AppError:
            # Sent but not recorded: the relay sends them again later, and consumers deduplicate on the id.
            logger.warning("sent messages could not be marked published", exc_info=True)


@dataclass(frozen=True, slots=True)
class RelayReport:
    """What one relay run did."""

    claimed: int = 0
    published: int = 0
    failed: int = 0


def relay_outbox(
    unit_of_work: Callable[[], OrderUnitOfWork],
    publisher: MessagePublisher,
    clock: Clock,
    *,
    batch_size: int = RELAY_BATCH,
    max_batches: int = RELAY_BATCHES,
    grace: timedelta = RELAY_GRACE,
) -> RelayReport:
    """Send the outbox's unpublished messages, oldest first, in transactions of ``batch_size``: each claims its
    rows (locked: a relay running at the same time skips them), sends them, marks the accepted ones published and
    counts a failed attempt on the others, then commits. Stops after ``max_batches``, at the first short batch, or
    after a batch with a failed send (the rows it left are the oldest: the next run starts with them)."""
    report = RelayReport()
    for _ in range(max_batches):
        with unit_of_work() as uow:
            claimed = uow.outbox.claim(batch_size, clock.now() - grace)
            accepted, refused = _send_claimed(publisher, claimed)
            if accepted:
                uow.outbox.mark_published(accepted, clock.now())
            if refused:
                uow.outbox.mark_failed(refused)
            uow.commit()
        report = RelayReport(
            report.claimed + len(claimed), report.published + len(accepted), report.failed + len(refused)
        )
        if refused or len(claimed) < batch_size:  # a failing queue is tried again next run, not in a loop now
            break
    if report.failed:
        metrics.add_metric(name="OutboxPublishFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="OutboxRelayed", unit=MetricUnit.Count, value=report.published)
    record_backlog(unit_of_work, clock)
    return report


def record_backlog(unit_of_work: Callable[[], OrderUnitOfWork], clock: Clock) -> None:
    """Emit what is still waiting after a run: ``OutboxBacklog`` (messages) and ``OutboxOldestAgeSeconds`` (the
    oldest one's age, 0 when none waits), the metrics the outbox-age alarm watches."""
    with unit_of_work() as uow:
        count, oldest = uow.outbox.backlog()
    age = max((clock.now() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    metrics.add_metric(name="OutboxBacklog", unit=MetricUnit.Count, value=count)
    metrics.add_metric(name="OutboxOldestAgeSeconds", unit=MetricUnit.Seconds, value=age)


def _send_claimed(publisher: MessagePublisher, claimed: Sequence[OutboxMessage]) -> tuple[list[UUID], list[UUID]]:
    accepted: list[UUID] = []
    refused: list[UUID] = []
    by_queue = sorted(claimed, key=lambda m: m.queue)
    for queue_name, group in groupby(by_queue, key=lambda m: m.queue):
        rows = list(group)
        envelopes: list[Envelope] = []
        for row in rows:
            try:
                envelopes.append(Envelope.model_validate_json(row.body))
            except ValueError:
                logger.error("an outbox row is not an envelope; it stays unpublished", extra={"id": str(row.id)})
                refused.append(row.id)
        try:
            queue = Queue(queue_name)
        except ValueError:
            logger.error("an outbox row names an unknown queue", extra={"queue": queue_name})
            refused += [e.id for e in envelopes]
            continue
        for start in range(0, len(envelopes), SQS_BATCH):
            batch = envelopes[start : start + SQS_BATCH]
            ids = [e.id for e in batch]
            sent = _send(publisher, queue, batch, ids)
            accepted += sent
            refused += [i for i in ids if i not in set(sent)]
    return accepted, refused


def _send(publisher: MessagePublisher, queue: Queue, batch: list[Envelope], ids: list[UUID]) -> list[UUID]:
    """The ids of ``batch`` the queue accepted (none when it could not be reached: logged, not raised)."""
    try:
        refused = set(publisher.publish(queue, batch))
    except AppError as error:
        logger.warning("queue unreachable; the outbox keeps the messages", extra={"queue": queue, "code": error.code})
        return []
    if refused:
        logger.warning("queue refused messages; the outbox keeps them", extra={"queue": queue, "refused": len(refused)})
    return [i for i in ids if i not in refused]
