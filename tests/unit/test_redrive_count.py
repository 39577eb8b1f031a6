"""make redrive counts distinct messages moved (sent back and deleted), never receives."""

from __future__ import annotations

from typing import Any

from localdev.redrive import redrive


class ReplayingDlq:
    """An SQS client stand-in whose DLQ hands the same messages out again until their delete succeeds.

    ``failing_deletes`` receipt handles fail once, as a stale handle does; ``redeliver`` makes every receive
    return the whole DLQ (as when the hold runs out between receives).
    """

    def __init__(self, bodies: list[str], failing_deletes: frozenset[str] = frozenset()) -> None:
        self.dlq = {f"id-{i}": body for i, body in enumerate(bodies)}
        self.failing = set(failing_deletes)
        self.sent: list[str] = []
        self.receives = 0

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": {"ApproximateNumberOfMessages": str(len(self.dlq))}}

    def receive_message(self, **_: Any) -> dict[str, Any]:
        self.receives += 1
        messages = [
            {"MessageId": i, "Body": b, "ReceiptHandle": f"rh-{i}-{self.receives}"} for i, b in self.dlq.items()
        ]
        return {"Messages": messages[:10]}

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        self.sent.extend(entry["MessageBody"] for entry in request["Entries"])
        return {"Successful": [{"Id": entry["Id"]} for entry in request["Entries"]]}

    def delete_message_batch(self, **request: Any) -> dict[str, Any]:
        done, failed = [], []
        for entry in request["Entries"]:
            message_id = entry["ReceiptHandle"].rsplit("-", 1)[0].removeprefix("rh-")
            if message_id in self.failing:
                self.failing.discard(message_id)
                failed.append({"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True})
            else:
                self.dlq.pop(message_id, None)
                done.append({"Id": entry["Id"]})
        return {"Successful": done, "Failed": failed}


def test_a_message_handed_out_again_after_a_failed_delete_is_sent_once_and_counted_once():
    client = ReplayingDlq(["a", "b", "c"], failing_deletes=frozenset({"id-1"}))
    assert redrive(client, "source", "dlq") == 3
    assert client.dlq == {}
    assert sorted(client.sent) == ["a", "b", "c"]  # id-1 came back: only its delete was retried
    assert client.receives == 2  # 2 receives, 3 moved: receives are not what is counted (it stops at the 3 counted)


def test_a_message_whose_delete_keeps_failing_is_not_counted():
    client = ReplayingDlq(["a", "b"])
    client.delete_message_batch = lambda **kw: {"Successful": [], "Failed": [{"Id": e["Id"]} for e in kw["Entries"]]}  # type: ignore[method-assign]
    assert redrive(client, "source", "dlq") == 0
    assert sorted(client.sent) == ["a", "b"]
