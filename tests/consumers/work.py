"""A test-only SQS consumer: ``test.work`` v1 messages, failing those that ask to fail."""

from __future__ import annotations

import threading
from collections.abc import Callable

from storefront.consumers.entry import ConsumedMessage, sqs_entry
from storefront.messages.envelope import MessageData, message_type


@message_type("test.work", 1)
class Work(MessageData):
    """One unit of test work: ``key`` names it; ``fail`` makes every attempt raise."""

    key: str
    fail: bool = False


PROCESSED: list[str] = []  # keys in the order they succeeded
ATTEMPTS: dict[str, int] = {}  # key -> attempts (each receive_count seen)
_lock = threading.Lock()


def process(message: ConsumedMessage) -> None:
    """Record the attempt; raise when the message asks to fail, else record it processed."""
    assert isinstance(message.data, Work)
    with _lock:
        ATTEMPTS[message.data.key] = ATTEMPTS.get(message.data.key, 0) + 1
    if message.data.fail:
        raise RuntimeError(f"{message.data.key} fails on purpose")
    with _lock:
        PROCESSED.append(message.data.key)


def forget() -> None:
    """Clear what earlier tests recorded."""
    with _lock:
        PROCESSED.clear()
        ATTEMPTS.clear()


SKIPPED: list[str] = []


def once_per_id(message: ConsumedMessage, run: Callable[[], None]) -> None:
    """An idempotency hook: a message id already processed is skipped."""
    if str(message.envelope.id) in SKIPPED:
        return
    run()
    SKIPPED.append(str(message.envelope.id))


handler = sqs_entry(process)
guarded_handler = sqs_entry(process, around=once_per_id)
