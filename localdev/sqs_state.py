"""The local SQS's messages across a stop: written to ``.local/sqs-messages-<hash>.json`` when the process that runs
the server stops gracefully, put back when the next process starts that database's SQS (``localdev.sqs``).

SQS is durable: a message sent stays until it is deleted or its retention ends, whatever happens to its consumers.
moto keeps its queues in the memory of the process that runs the server, so without this a Ctrl-C of `make run`
lost every delayed order, deferred payment and pending check.

The public SQS API cannot do this job: reading a message (ReceiveMessage) raises its receive count and hides it,
delayed and in-flight messages cannot be read at all, and SendMessage cannot set a receive count, a message id, a
visibility deadline or a send time. So both directions use moto's models (``moto/sqs/models.py``: ``Message``,
``Queue._messages``), in this process's backend, which is where the server started here keeps its state
(moto keeps one state per process: every server a process starts shares it; `make run` starts at most one).

Times are kept as the epoch milliseconds moto uses (``delayed_until``, ``visible_at``, ``sent_timestamp``), so the
clock keeps running while nothing serves the queues, as it does in SQS: a message whose delay or visibility
timeout ended meanwhile is visible at once after the restart, the others when theirs ends; one past its queue's
retention is dropped, as SQS would have deleted it. A hard kill (SIGKILL) writes nothing: its messages are lost.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

from localdev.aws_events import ACCOUNT, REGION

log = logging.getLogger("localdev.sqs")
FORMAT = 1


def _backend() -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[ACCOUNT][REGION]


def _encode(value: Any) -> Any:
    """JSON for a binary message attribute value (moto keeps it as bytes)."""
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"not serialisable: {type(value).__name__}")


def _decode(value: dict[str, Any]) -> Any:
    return base64.b64decode(value["$bytes"]) if set(value) == {"$bytes"} else value


def queue_messages() -> dict[str, list[dict[str, Any]]]:
    """Every message of every queue in this process's moto backend (DLQs included), in-flight and delayed ones
    too, by queue name: what a snapshot holds."""
    queues: dict[str, list[dict[str, Any]]] = {}
    for name, queue in _backend().queues.items():
        messages = [
            {
                "id": m.id,
                "body": m.body,
                "message_attributes": m.message_attributes,
                "system_attributes": m.system_attributes,
                "sent_timestamp": m.sent_timestamp,
                "approximate_receive_count": m.approximate_receive_count,
                "approximate_first_receive_timestamp": m.approximate_first_receive_timestamp,
                "delayed_until": m.delayed_until,
                "visible_at": m.visible_at,
                "group_id": m.group_id,
                "deduplication_id": m.deduplication_id,
                "sequence_number": m.sequence_number,
            }
            for m in list(queue._messages)
        ]
        if messages:
            queues[name] = messages
    return queues


def save(path: Path) -> int:
    """Write every queue's messages to ``path`` (added to a snapshot already there, which nobody restored yet);
    nothing when every queue is empty. Returns how many messages were written. Call it with the server stopped
    (nothing changes the queues meanwhile) and under the record's file lock."""
    queues = queue_messages()
    if not queues:
        return 0
    for name, messages in _read(path).items():
        queues[name] = messages + queues.get(name, [])
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"format": FORMAT, "queues": queues}, default=_encode))
    os.replace(partial, path)  # a reader never sees half a snapshot
    return sum(len(messages) for messages in queues.values())


def _read(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The queues of the snapshot at ``path``; an unreadable one is moved aside (``.unreadable``) and said once."""
    try:
        document = json.loads(path.read_text(), object_hook=_decode)
        queues = document["queues"]
        if document.get("format") != FORMAT or not isinstance(queues, dict):
            raise ValueError(f"format {document.get('format')!r}")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as error:
        aside = path.with_suffix(".unreadable")
        os.replace(path, aside)
        log.warning("the local SQS snapshot %s is unreadable (%s); moved to %s, not restored", path, error, aside)
        return {}
    return queues


def restore(path: Path) -> int:
    """Put the messages of the snapshot at ``path`` back into this process's moto backend (its queues exist:
    ``create_queues`` ran) and remove the snapshot, so they are restored once. Call it under the record's file
    lock, before anything polls. Returns how many messages were restored."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import Message

    queues, backend, restored = _read(path), _backend(), 0
    now = unix_time_millis()
    for name, messages in queues.items():
        queue = backend.queues.get(name)
        if queue is None:
            log.warning("the local SQS has no queue %s: its %d snapshot message(s) are dropped", name, len(messages))
            continue
        known = {m.id for m in queue._messages}
        retention_ms = int(queue.message_retention_period) * 1000
        for saved in messages:
            if saved["id"] in known or saved["sent_timestamp"] + retention_ms <= now:
                continue  # already there / past its retention: SQS would have deleted it
            message = Message(saved["id"], saved["body"], saved["system_attributes"])
            message.message_attributes = saved["message_attributes"]
            for field in (
                "sent_timestamp",
                "approximate_receive_count",
                "approximate_first_receive_timestamp",
                "delayed_until",
                "visible_at",
                "group_id",
                "deduplication_id",
                "sequence_number",
            ):
                setattr(message, field, saved[field])
            queue.add_message(message)
            restored += 1
    path.unlink(missing_ok=True)
    return restored


__all__ = ["queue_messages", "restore", "save"]
