"""The message envelope: one model per (type, version); anything else is refused for the dead-letter queue."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from storefront.messages.envelope import MessageData, UnknownMessage, envelope, message_type, parse

TENANT = UUID("00000000-0000-4000-8000-000000000001")
AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@message_type("test.counted", 1)
class Counted(MessageData):
    count: int


@message_type("test.counted", 2)
class CountedTwice(MessageData):
    count: int
    twice: bool


def test_a_message_survives_the_queue_as_it_was_sent() -> None:
    sent = envelope(Counted(count=3), tenant_id=TENANT, occurred_at=AT)
    received, data = parse(sent.to_json())
    assert received == sent
    assert data == Counted(count=3)
    assert (received.type, received.version) == ("test.counted", 1)


def test_the_version_picks_the_model() -> None:
    sent = envelope(CountedTwice(count=3, twice=True), tenant_id=TENANT, occurred_at=AT)
    assert parse(sent.to_json())[1] == CountedTwice(count=3, twice=True)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not a message envelope"),
        ("[]", "not a message envelope"),
        ('{"type": "test.counted"}', "not a message envelope"),
        (
            '{"type": "test.counted", "version": 9, "id": "6a3f1f0e-0000-4000-8000-000000000001", '
            '"occurred_at": "2026-11-29T12:00:00Z", "tenant_id": "00000000-0000-4000-8000-000000000001", "data": {}}',
            "unknown message type 'test.counted' version 9",
        ),
        (
            '{"type": "test.other", "version": 1, "id": "6a3f1f0e-0000-4000-8000-000000000001", '
            '"occurred_at": "2026-11-29T12:00:00Z", "tenant_id": "00000000-0000-4000-8000-000000000001", "data": {}}',
            "unknown message type 'test.other'",
        ),
        (
            '{"type": "test.counted", "version": 1, "id": "6a3f1f0e-0000-4000-8000-000000000001", '
            '"occurred_at": "2026-11-29T12:00:00Z", "tenant_id": "00000000-0000-4000-8000-000000000001", '
            '"data": {"count": 1, "extra": 2}}',
            "test.counted v1: extra",
        ),
        (
            '{"type": "test.counted", "version": 1, "id": "6a3f1f0e-0000-4000-8000-000000000001", '
            '"occurred_at": "2026-11-29T12:00:00", "tenant_id": "00000000-0000-4000-8000-000000000001", "data": {}}',
            "not a message envelope: occurred_at",
        ),
    ],
    ids=["not json", "array", "no version", "unknown version", "unknown type", "extra data field", "naive time"],
)
def test_what_no_model_accepts_is_refused(body: str, reason: str) -> None:
    with pytest.raises(UnknownMessage, match=reason):
        parse(body)


def test_a_type_version_pair_has_one_model() -> None:
    with pytest.raises(RuntimeError, match="registered twice"):
        message_type("test.counted", 1)(type("Other", (MessageData,), {"__annotations__": {"n": int}}))
