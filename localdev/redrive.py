"""Move a queue's dead-lettered messages back to it, in the local run (moto has no StartMessageMoveTask).

    python -m localdev.redrive order-processing      (make redrive QUEUE=order-processing)

QUEUE is a queue of template.yaml: its short name (``order-processing``), its full name
(``storefront-dev-order-processing``) or its logical id (``OrderProcessingQueue``). The messages are sent
to the source queue again (body and message attributes kept; SQS gives them new ids and a receive count
of 0, as AWS's message move task does) and deleted from the DLQ once sent. `make run` must be running.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from localdev.paths import STACK_NAME
from localdev.sqs import LocalSqs, running_endpoint
from localdev.template import Api, QueueResource, read_api

RECEIVE_LIMIT = 10
HOLD_SECONDS = 60  # how long a message being moved stays invisible in the DLQ


def source_queue(api: Api, given: str) -> QueueResource | None:
    """The template queue with a DLQ that ``given`` names (short name, full name or logical id)."""
    for queue in api.queues.values():
        names = {queue.logical_id, queue.name, queue.name.removeprefix(f"{STACK_NAME}-")}
        if queue.dead_letter is not None and given in names:
            return queue
    return None


def _sendable(attributes: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for name, value in attributes.items():
        kept[name] = {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
    return kept


def redrive(client: Any, source_url: str, dead_letter_url: str) -> int:
    """Move the messages ``dead_letter_url`` holds when the run starts to ``source_url``; returns how many
    distinct messages were moved.

    The DLQ is counted first and the run stops once that many are moved: a moved message that fails again at
    once and is dead-lettered during the run (a poison message, under a new id) is not moved a second time.
    A message counts once it is both sent to the source queue and deleted from the DLQ. A message received
    again (its delete failed, or its hold ran out) is not sent a second time: only its delete is retried.
    """
    present = _depth(client, dead_letter_url)
    seen_ids: set[str] = set()
    sent_ids: set[str] = set()
    moved_ids: set[str] = set()
    while len(moved_ids) < present:
        messages = client.receive_message(
            QueueUrl=dead_letter_url,
            MaxNumberOfMessages=min(RECEIVE_LIMIT, present - len(moved_ids)),
            WaitTimeSeconds=0,
            VisibilityTimeout=HOLD_SECONDS,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in moved_ids]
        seen_ids |= {m["MessageId"] for m in fresh}
        unsent = [m for m in fresh if m["MessageId"] not in sent_ids]
        if unsent:
            sent_ids |= _send(client, source_url, unsent)
        deleted = _delete(client, dead_letter_url, [m for m in fresh if m["MessageId"] in sent_ids])
        moved_ids |= deleted
        if not deleted:  # nothing left, or no progress: what could not be moved stays in the DLQ
            if stuck := len(seen_ids - moved_ids):
                print(f"{stuck} message(s) could not be moved and stay in the DLQ", file=sys.stderr)
            return len(moved_ids)
    return len(moved_ids)


def _depth(client: Any, queue_url: str) -> int:
    """How many messages ``queue_url`` holds now (visible, and held by a receiver)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


def _send(client: Any, queue_url: str, messages: list[dict[str, Any]]) -> set[str]:
    """Send ``messages`` to ``queue_url``; the ids of those SQS accepted."""
    entries = [
        {"Id": str(i), "MessageBody": m["Body"], "MessageAttributes": _sendable(m.get("MessageAttributes") or {})}
        for i, m in enumerate(messages)
    ]
    sent = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
    done = {entry["Id"] for entry in sent.get("Successful", [])}
    return {m["MessageId"] for i, m in enumerate(messages) if str(i) in done}


def _delete(client: Any, queue_url: str, messages: list[dict[str, Any]]) -> set[str]:
    """Delete ``messages`` from ``queue_url``; the ids of those SQS deleted."""
    if not messages:
        return set()
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    answer = client.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    done = {entry["Id"] for entry in answer.get("Successful", [])}
    return {m["MessageId"] for i, m in enumerate(messages) if str(i) in done}


def main(argv: list[str] | None = None) -> int:
    """Redrive the DLQ of the queue named on the command line; exit 2 on an unknown queue or no local run."""
    api = read_api()
    choices = sorted(q.name.removeprefix(f"{STACK_NAME}-") for q in api.queues.values() if q.dead_letter)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=f"queues: {', '.join(choices)}")
    parser.add_argument("queue", nargs="?", default="")
    args = parser.parse_args(argv)
    queue = source_queue(api, args.queue)
    if queue is None:
        given = f"unknown queue {args.queue!r}" if args.queue else "no queue given (QUEUE=)"
        print(f"{given}; queues with a dead-letter queue: {', '.join(choices)}", file=sys.stderr)
        return 2
    endpoint = running_endpoint(database_url=os.environ.get("DATABASE_URL") or None)
    if endpoint is None:
        message = "no local SQS is running for this database: start `make run` first (AWS: see the README's redrive)"
        print(message, file=sys.stderr)
        return 2
    sqs = LocalSqs(endpoint, {})
    client = sqs.client()
    urls = _urls(client, api)
    assert queue.dead_letter is not None
    moved = redrive(client, urls[queue.logical_id], urls[queue.dead_letter])
    print(f"moved {moved} message(s) from {api.queues[queue.dead_letter].name} back to {queue.name}")
    return 0


def _urls(client: Any, api: Api) -> dict[str, str]:
    return {q.logical_id: client.get_queue_url(QueueName=q.name)["QueueUrl"] for q in api.queues.values()}


if __name__ == "__main__":
    sys.exit(main())
