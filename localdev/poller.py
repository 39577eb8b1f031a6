"""Lambda's event sources, locally: SQS event source mappings and EventBridge schedules of template.yaml.

For each ``Type: SQS`` event a thread long-polls the queue as Lambda's poller does: it receives up to
``BatchSize`` messages, invokes the real handler in this process with the SQS event
(``localdev.aws_events``), and deletes the messages that succeeded: with ``ReportBatchItemFailures`` all
but those the answer's ``batchItemFailures`` names, without it all of them unless the handler raised. A
failed message is left alone: it comes back when its visibility timeout ends, its receive count grows,
and SQS's redrive policy moves it to the DLQ after maxReceiveCount receives.

For each ``Type: Schedule`` event with a ``rate(...)`` expression a thread invokes the handler at that
rate with an EventBridge scheduled event (``SCHEDULE_SECONDS`` shortens every rate locally). ``cron(...)``
schedules are not run locally (a warning says so).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from localdev.aws_events import failed_ids, queue_arn, scheduled_event, sqs_event
from localdev.paths import STACK_NAME
from localdev.runtime import invoke
from localdev.template import Function, QueueResource, ScheduleSource, SqsSource

log = logging.getLogger("localdev.poller")
WAIT_SECONDS = 1  # long-poll wait: a stop is noticed within about this long
SQS_RECEIVE_LIMIT = 10
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """The period of a ``rate(...)`` schedule expression in seconds; None for ``cron(...)``. A malformed
    rate (``rate(1 minutes)``, ``rate(0 hours)``) raises ValueError, as EventBridge refuses it."""
    if expression.startswith("cron("):
        return None
    found = _RATE.match(expression.strip())
    if found is None:
        raise ValueError(f"not a schedule expression: {expression!r}")
    value, unit = int(found.group(1)), found.group(2)
    if value < 1 or (value == 1) != (not unit.endswith("s")):
        raise ValueError(f"not a valid rate: {expression!r} (1 takes the singular unit, more the plural)")
    return value * _UNIT_SECONDS[unit.rstrip("s")]


def schedule_override() -> float | None:
    """SCHEDULE_SECONDS, when set: the local period of every rate schedule, in seconds."""
    value = os.environ.get("SCHEDULE_SECONDS", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise SystemExit(f"SCHEDULE_SECONDS must be a positive number of seconds, not {value!r}")
    return seconds


@dataclass
class BatchOutcome:
    """What one poll did: how many messages were received, deleted and left to come back."""

    received: int
    deleted: int
    failed: int


class EventSources:
    """Pollers and schedules of ``functions``, on background threads until ``stop``."""

    def __init__(
        self,
        functions: Iterable[Function],
        queues: Mapping[str, QueueResource],
        urls: Mapping[str, str],
        client: Any,
        *,
        lock: AbstractContextManager[Any] | None = None,
        schedule_seconds: float | None = None,
        recover: Callable[[], tuple[Any, Mapping[str, str]]] | None = None,
    ) -> None:
        self._functions = list(functions)
        self._queues = queues
        self._urls = urls
        self._client = client
        self._lock = lock if lock is not None else nullcontext()
        self._schedule_seconds = schedule_seconds
        self._recover = recover  # after a failed poll: the SQS client and queue URLs to use now
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        """Start a thread per enabled SQS event and per rate schedule; returns one line describing each."""
        described = []
        for function in self._functions:
            for source in function.sqs:
                if source.enabled:
                    self._spawn(f"sqs {function.logical_id}", partial(self._poll, function, source))
                    queue = self._queues[source.queue].name
                    described.append(f"{function.logical_id} <- {queue} (batch {source.batch_size})")
            for schedule in function.schedules:
                period = rate_seconds(schedule.expression)
                if not schedule.enabled:
                    continue
                if period is None:
                    log.warning(
                        "%s: %s is not run locally (only rate schedules are)", function.logical_id, schedule.expression
                    )
                    continue
                every = self._schedule_seconds or period
                self._spawn(f"schedule {function.logical_id}", partial(self._tick, function, schedule, every))
                described.append(f"{function.logical_id} every {every:g} s ({schedule.expression})")
        return described

    def stop(self, timeout: float = WAIT_SECONDS + 5) -> None:
        """Stop every thread and wait for it (a poll in progress finishes its batch first)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- SQS ------------------------------------------------------------------------------------------
    def _poll(self, function: Function, source: SqsSource) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(function, source)
            except Exception as error:  # SQS unreachable (the server stopped): keep trying, as Lambda's poller does
                # One line, no traceback: a stopped local SQS would otherwise flood the console every second.
                log.warning("polling %s failed (%s: %s); retrying", source.queue, type(error).__name__, error)
                if self._recover is not None:
                    self._use(*self._recover())
                self._stop.wait(WAIT_SECONDS)

    def _use(self, client: Any, urls: Mapping[str, str]) -> None:
        """Poll with ``client`` and ``urls`` from now on (the local SQS moved: ``localdev.sqs.KeptSqs``)."""
        if dict(urls) != dict(self._urls):
            self._client, self._urls = client, urls

    def poll_once(self, function: Function, source: SqsSource, wait_seconds: int = WAIT_SECONDS) -> BatchOutcome:
        """Receive one batch for ``function`` from ``source``, invoke it and delete what succeeded."""
        url = self._urls[source.queue]
        messages = self._receive(url, source.batch_size, wait_seconds)
        if not messages:
            return BatchOutcome(0, 0, 0)
        event = sqs_event(messages, queue_arn(self._queues[source.queue].name))
        try:
            with self._lock:
                result = invoke(function.handler, function.function_name, event, function.environment)
            failed = failed_ids(result, event) if source.report_batch_item_failures else set()
        except Exception:  # the invocation failed: the whole batch comes back
            traceback.print_exc()
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), SQS_RECEIVE_LIMIT):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
            ]
            self._client.delete_message_batch(QueueUrl=url, Entries=entries)
        return BatchOutcome(len(messages), len(done), len(failed))

    def _receive(self, url: str, batch_size: int, wait_seconds: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < batch_size:
            received = self._client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(SQS_RECEIVE_LIMIT, batch_size - len(messages)),
                WaitTimeSeconds=0 if messages else wait_seconds,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages.extend(received)
        return messages

    # --- schedules --------------------------------------------------------------------------------------
    def _tick(self, function: Function, schedule: ScheduleSource, every: float) -> None:
        while not self._stop.wait(every):
            self.fire(function, schedule)

    def fire(self, function: Function, schedule: ScheduleSource) -> Any:
        """Invoke ``function`` once with the scheduled event of ``schedule`` (a failure is printed)."""
        event = scheduled_event(f"{STACK_NAME}-{function.logical_id}{schedule.name}", datetime.now(UTC))
        try:
            with self._lock:
                return invoke(function.handler, function.function_name, event, function.environment)
        except Exception:
            traceback.print_exc()
            return None
