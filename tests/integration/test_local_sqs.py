"""The local run's SQS on moto's server: the template's queues and redrive policies, the poller invoking a
test-only consumer with real SQS events, dead-lettering, redrive, schedules, and the SQS publisher."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen
from uuid import UUID

import pytest

from localdev import redrive
from localdev.poller import EventSources
from localdev.sqs import LocalSqs, create_queues, local_sqs, record_path, running_endpoint
from localdev.template import Function, ScheduleSource, SqsSource, read_api
from storefront import bootstrap
from storefront.adapters.messaging.sqs import SqsDeadLetters, SqsPublisher
from storefront.config import QueueSettings
from storefront.domain.errors import ExternalUnavailable
from storefront.messages.envelope import Envelope, Queue, envelope
from tests.consumers import work

TENANT = UUID("00000000-0000-4000-8000-000000000001")
QUEUE = "OrderProcessingQueue"
DLQ = "OrderProcessingDeadLetterQueue"
CONSUMER = Function(
    "TestWorkConsumer",
    "tests.consumers.work.handler",
    "storefront-dev-TestWorkConsumer",
    (),
    sqs=(SqsSource(QUEUE, batch_size=10, report_batch_item_failures=True),),
    timeout=30,
)


@pytest.fixture
def sqs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSqs]:
    """A fresh moto server with the template's queues, visibility 1 s so failed messages come back quickly."""
    monkeypatch.setenv("SQS_VISIBILITY_TIMEOUT", "1")
    api = read_api()
    with local_sqs(api, tmp_path) as running:
        # moto keeps its state per process, not per server: start every test from empty queues.
        urlopen(Request(f"{running.endpoint}/moto-api/reset", method="POST"), timeout=5).close()  # noqa: S310
        create_queues(running.client(), api.queues, visibility=1)
        for name, value in running.environment(api).items():
            monkeypatch.setenv(name, value)
        work.forget()
        yield running


def send(sqs: LocalSqs, *works: work.Work | str) -> list[str]:
    """Publish ``works`` (raw strings as they are) to the order-processing queue; returns the bodies."""
    bodies = [w if isinstance(w, str) else message(w).to_json() for w in works]
    for body in bodies:
        sqs.client().send_message(QueueUrl=sqs.urls[QUEUE], MessageBody=body)
    return bodies


def message(data: work.Work) -> Envelope:
    return envelope(data, tenant_id=TENANT, occurred_at=datetime.now(UTC))


def count(sqs: LocalSqs, logical_id: str) -> int:
    attributes = sqs.client().get_queue_attributes(
        QueueUrl=sqs.urls[logical_id],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def sources(sqs: LocalSqs, *functions: Function, schedule_seconds: float | None = None) -> EventSources:
    return EventSources(functions, read_api().queues, sqs.urls, sqs.client(), schedule_seconds=schedule_seconds)


def drain(poller: EventSources, function: Function = CONSUMER, seconds: float = 15) -> None:
    """Poll until the queue has been empty for two visibility timeouts (or ``seconds`` pass)."""
    deadline, quiet_since = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        outcome = poller.poll_once(function, function.sqs[0], wait_seconds=0)
        if outcome.received:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 2.5:
            return
        time.sleep(0.1)


def test_the_template_queues_exist_with_their_redrive_policies_and_attributes(sqs):
    client = sqs.client()
    api = read_api()
    for logical_id, queue in api.queues.items():
        attributes = client.get_queue_attributes(QueueUrl=sqs.urls[logical_id], AttributeNames=["All"])["Attributes"]
        assert attributes["MessageRetentionPeriod"] == str(queue.retention_seconds)
        assert attributes["VisibilityTimeout"] == "1"  # SQS_VISIBILITY_TIMEOUT, in place of the template's
        if queue.dead_letter:
            policy = json.loads(attributes["RedrivePolicy"])
            assert policy["maxReceiveCount"] == queue.max_receive_count == 5
            assert policy["deadLetterTargetArn"].endswith(":" + api.queues[queue.dead_letter].name)


def test_a_poison_message_reaches_the_dlq_after_max_receive_count_and_nothing_is_lost(sqs):
    send(sqs, work.Work(key="ok-1"), work.Work(key="poison", fail=True), work.Work(key="ok-2"))
    poller = sources(sqs, CONSUMER)
    drain(poller)
    assert sorted(work.PROCESSED) == ["ok-1", "ok-2"]
    assert work.ATTEMPTS["poison"] == 5  # received maxReceiveCount times, then moved by SQS's redrive policy
    assert (count(sqs, QUEUE), count(sqs, DLQ)) == (0, 1)
    assert len(work.PROCESSED) + count(sqs, DLQ) == 3  # messages in = processed + in the DLQ


def test_an_unknown_message_goes_to_the_dlq_at_once_and_the_dlq_is_read_from_the_redrive_policy(sqs):
    [body] = send(sqs, json.dumps({"type": "nobody.knows", "version": 9}))
    bootstrap.provide(dead_letters=SqsDeadLetters(QueueSettings()))
    poller = sources(sqs, CONSUMER)
    assert poller.poll_once(CONSUMER, CONSUMER.sqs[0]).deleted == 1  # acknowledged on its first receive
    [moved] = sqs.client().receive_message(QueueUrl=sqs.urls[DLQ], MessageAttributeNames=["All"])["Messages"]
    assert moved["Body"] == body
    assert "not a message envelope" in moved["MessageAttributes"]["refused_because"]["StringValue"]


def test_redrive_brings_dead_lettered_messages_back_to_their_queue(sqs):
    send(sqs, work.Work(key="a", fail=True), work.Work(key="b", fail=True))
    poller = sources(sqs, CONSUMER)
    drain(poller)
    assert (count(sqs, QUEUE), count(sqs, DLQ)) == (0, 2)
    assert redrive.redrive(sqs.client(), sqs.urls[QUEUE], sqs.urls[DLQ]) == 2
    assert (count(sqs, QUEUE), count(sqs, DLQ)) == (2, 0)
    received = sqs.client().receive_message(QueueUrl=sqs.urls[QUEUE], MaxNumberOfMessages=10)["Messages"]
    assert {json.loads(m["Body"])["data"]["key"] for m in received} == {"a", "b"}


def test_make_redrive_names_the_queue_and_needs_a_running_local_sqs(sqs, tmp_path, monkeypatch, capsys):
    assert redrive.main(["nowhere"]) == 2
    assert "order-processing" in capsys.readouterr().err
    assert running_endpoint(tmp_path) == sqs.endpoint  # recorded for make redrive and make invoke
    monkeypatch.setattr(redrive, "running_endpoint", lambda **_: sqs.endpoint)
    send(sqs, "not an envelope")
    sqs.client().send_message(QueueUrl=sqs.urls[DLQ], MessageBody="dead")
    assert redrive.main(["order-processing"]) == 0
    assert "moved 1 message(s)" in capsys.readouterr().out
    assert (count(sqs, QUEUE), count(sqs, DLQ)) == (2, 0)


def test_the_pollers_run_in_the_background_and_stop_cleanly(sqs):
    poller = sources(sqs, CONSUMER)
    assert poller.start() == ["TestWorkConsumer <- storefront-dev-order-processing (batch 10)"]
    send(sqs, *(work.Work(key=str(i)) for i in range(12)))
    deadline = time.monotonic() + 15
    while len(work.PROCESSED) < 12 and time.monotonic() < deadline:
        time.sleep(0.1)
    started = time.monotonic()
    poller.stop()
    assert time.monotonic() - started < 5
    assert sorted(work.PROCESSED, key=int) == [str(i) for i in range(12)]
    assert count(sqs, QUEUE) == 0


TICKS: list[dict[str, Any]] = []


def tick(event: dict[str, Any], context: Any) -> None:
    """A test-only scheduled function: remembers each event."""
    TICKS.append(event)


def test_a_rate_schedule_invokes_its_function_with_scheduled_events(sqs):
    TICKS.clear()
    relay = Function(
        "TestRelay",
        "tests.integration.test_local_sqs.tick",
        "relay",
        (),
        schedules=(ScheduleSource("Every", "rate(1 minute)"),),
    )
    poller = sources(sqs, relay, schedule_seconds=0.2)
    assert poller.start() == ["TestRelay every 0.2 s (rate(1 minute))"]
    time.sleep(1)
    poller.stop()
    assert len(TICKS) >= 3
    assert TICKS[0]["detail-type"] == "Scheduled Event"
    assert TICKS[0]["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/storefront-dev-TestRelayEvery"]


# --- the publisher against SQS (moto's server) ---------------------------------------------------------------
def test_the_publisher_sends_to_the_configured_queue_with_type_and_version(sqs):
    sent = [message(work.Work(key=str(i))) for i in range(10)]
    assert SqsPublisher(QueueSettings()).publish(Queue.ORDER_PROCESSING, sent) == []
    received = []
    while (
        batch := sqs.client()
        .receive_message(QueueUrl=sqs.urls[QUEUE], MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages")
    ):
        received.extend(batch)
    assert sorted(json.loads(m["Body"])["id"] for m in received) == sorted(str(m.id) for m in sent)
    assert received[0]["MessageAttributes"]["type"]["StringValue"] == "test.work"
    assert received[0]["MessageAttributes"]["version"] == {"StringValue": "1", "DataType": "Number"}


def test_the_publisher_returns_the_ids_sqs_refused_in_a_partial_batch_failure(sqs):
    sent = [message(work.Work(key=str(i))) for i in range(3)]
    publisher = SqsPublisher(QueueSettings())
    client = publisher._client.get()

    def refuse_the_second(params: dict[str, Any], **_: Any) -> None:
        params["Entries"][1]["DelaySeconds"] = 901  # over SQS's 900: that entry alone fails

    client.meta.events.register("before-parameter-build.sqs.SendMessageBatch", refuse_the_second)
    assert publisher.publish(Queue.ORDER_PROCESSING, sent) == [sent[1].id]
    assert count(sqs, QUEUE) == 2


def test_the_publisher_gives_up_quickly_when_sqs_cannot_be_reached(monkeypatch):
    from localdev.stack import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("ORDER_PROCESSING_QUEUE_URL", "http://127.0.0.1:1/123456789012/q")
    started = time.monotonic()
    with pytest.raises(ExternalUnavailable):
        SqsPublisher(QueueSettings()).publish(Queue.ORDER_PROCESSING, [message(work.Work(key="x"))])
    assert time.monotonic() - started < 5


def test_a_run_on_another_database_gets_queues_of_its_own(sqs, tmp_path):
    """Two local runs on different databases shared one SQS: the consumers of one took the other's order
    messages, found no such order and dropped them (the order stayed PENDING). One SQS per database now."""
    assert running_endpoint(tmp_path) == sqs.endpoint  # the default database: `make run`'s
    assert running_endpoint(tmp_path, f"sqlite:///{tmp_path / 'storefront.db'}") == sqs.endpoint
    assert running_endpoint(tmp_path, f"sqlite:///{tmp_path / 'other.db'}") is None
    assert record_path(None, tmp_path) != record_path(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    with local_sqs(read_api(), tmp_path, database_url=f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert other.endpoint != sqs.endpoint
        assert running_endpoint(tmp_path, f"sqlite:///{tmp_path / 'other.db'}") == other.endpoint
        assert running_endpoint(tmp_path) == sqs.endpoint
    assert running_endpoint(tmp_path, f"sqlite:///{tmp_path / 'other.db'}") is None  # its record went with it


def test_two_runs_starting_at_once_on_one_database_share_one_sqs(tmp_path):
    """Outside pass: two `make run` started in the same second each found no SQS recorded and started their own;
    looking and starting now happen under a file lock, so the second finds the first's server."""
    database = f"sqlite:///{tmp_path / 'one.db'}"
    barrier, endpoints, errors = threading.Barrier(2), [], []
    release = threading.Event()

    def start() -> None:
        try:
            barrier.wait()
            with local_sqs(read_api(), tmp_path, database_url=database) as running:
                endpoints.append(running.endpoint)
                release.wait(30)
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    starters = [threading.Thread(target=start) for _ in range(2)]
    for starter in starters:
        starter.start()
    deadline = time.monotonic() + 30
    while len(endpoints) + len(errors) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    for starter in starters:
        starter.join(30)
    assert errors == []
    assert len(endpoints) == 2
    assert endpoints[0] == endpoints[1], "one server for one database"


class BouncingClient:
    """An SQS client whose source queue dead-letters every message sent to it at once, under a new id (as a
    running consumer does with a poison message), ``bounces`` times at most."""

    def __init__(self, sqs: LocalSqs, bounces: int) -> None:
        self.client, self.sqs, self.bounces = sqs.client(), sqs, bounces

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:  # noqa: N803 - boto3's names
        answer = self.client.send_message_batch(QueueUrl=QueueUrl, Entries=Entries)
        for entry in Entries:
            if self.bounces > 0:
                self.bounces -= 1
                self.client.send_message(QueueUrl=self.sqs.urls[DLQ], MessageBody=entry["MessageBody"])
        return answer


def test_redrive_moves_only_the_messages_present_when_it_started(sqs):
    """Outside pass: `make redrive QUEUE=payment` printed "moved 4" for one dead-lettered message, moving the
    copy that bounced back to the DLQ during the run again and again."""
    sqs.client().send_message(QueueUrl=sqs.urls[DLQ], MessageBody="dead")
    assert redrive.redrive(BouncingClient(sqs, bounces=5), sqs.urls[QUEUE], sqs.urls[DLQ]) == 1
    assert (count(sqs, QUEUE), count(sqs, DLQ)) == (1, 1), "the bounce stays in the DLQ for the next run"


def test_a_poller_whose_sqs_stopped_logs_one_line_per_failure_without_a_traceback(sqs, caplog):
    """Outside pass: a second `make run` whose SQS (the first run's) stopped printed a traceback every poll."""
    import boto3

    gone = boto3.client(
        "sqs",
        endpoint_url="http://127.0.0.1:9",  # the discard port: nothing answers
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    poller = EventSources([CONSUMER], read_api().queues, sqs.urls, gone)
    with caplog.at_level("WARNING", logger="localdev.poller"):
        poller.start()
        time.sleep(2)
        poller.stop()
    failures = [r for r in caplog.records if "polling" in r.getMessage()]
    assert failures
    assert all(r.exc_info is None for r in failures)
    assert all("retrying" in r.getMessage() for r in failures)


FIRST_RUN = """
import sys
from pathlib import Path
from localdev.sqs import local_sqs
from localdev.template import read_api
with local_sqs(read_api(), Path(sys.argv[1]), database_url=sys.argv[2]) as sqs:
    print(sqs.endpoint, flush=True)
    sys.stdin.read()  # until the test closes it
"""


def test_a_second_run_whose_sqs_owner_stopped_takes_over_and_repoints_its_poller_and_publishers(
    tmp_path, monkeypatch, caplog
):
    """Outside pass: a second `make run` reusing the first's SQS logged one line per poll forever after the first
    stopped. Now its poller starts (and records) a new SQS, and the functions' publishers send to it."""
    import subprocess
    import sys

    from localdev.gateway import repoint_sqs
    from localdev.paths import ROOT
    from localdev.sqs import kept_sqs

    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = subprocess.Popen(
        [sys.executable, "-c", FIRST_RUN, str(tmp_path), database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    api = read_api()
    first_in, first_out = first.stdin, first.stdout
    assert first_in is not None
    assert first_out is not None
    try:
        first_endpoint = first_out.readline().strip()
        assert first_endpoint.startswith("http://"), first_endpoint
        with kept_sqs(api, tmp_path, database_url=database) as kept:
            assert kept.current.endpoint == first_endpoint  # the second run reuses the first's
            for name, value in kept.current.environment(api).items():
                monkeypatch.setenv(name, value)  # restored after the test (repoint_sqs changes them)
            work.forget()
            poller = EventSources(
                [CONSUMER],
                api.queues,
                kept.current.urls,
                kept.current.client(),
                recover=lambda: repoint_sqs(kept, api, threading.Lock()),
            )
            with caplog.at_level("WARNING"):
                poller.start()
                try:
                    before = bootstrap.message_publisher()  # built on the first run's SQS, and kept (cached)
                    assert before is not None
                    assert before.publish(Queue.ORDER_PROCESSING, [message(work.Work(key="before"))]) == []
                    wait_for(lambda: "before" in work.PROCESSED)
                    first_in.close()  # the first run stops, and its SQS with it
                    first.wait(30)
                    wait_for(lambda: kept.current.endpoint != first_endpoint)
                    assert (
                        running_endpoint(tmp_path, database) == kept.current.endpoint
                    )  # recorded: a third run finds it
                    assert os.environ["AWS_ENDPOINT_URL_SQS"] == kept.current.endpoint
                    # What the functions build now (bootstrap was reset) publishes to the new SQS, and it is consumed.
                    after = bootstrap.message_publisher()
                    assert after is not None
                    assert after is not before
                    assert after.publish(Queue.ORDER_PROCESSING, [message(work.Work(key="after"))]) == []
                    wait_for(lambda: "after" in work.PROCESSED)
                finally:
                    poller.stop()
            moved = [r.getMessage() for r in caplog.records if "now using" in r.getMessage()]
            assert moved == [
                f"the local SQS at {first_endpoint} stopped; now using {kept.current.endpoint} (started here)"
            ]
        assert running_endpoint(tmp_path, database) is None  # the server started here stopped with the run
    finally:
        if first.poll() is None:
            first.kill()
        bootstrap.reset()


def wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.1)


# --- durable across a graceful stop (issue 8) ---------------------------------------------------------------
RUN = """
import sys
from pathlib import Path
from localdev.sqs import kept_sqs
from localdev.template import read_api
with kept_sqs(read_api(), Path(sys.argv[1]), database_url=sys.argv[2]) as kept:
    print(kept.current.endpoint, flush=True)
    for line in sys.stdin:  # "recover": take over if the server in use stopped; end of input: stop
        print(kept.recover().endpoint, flush=True)
"""


class Run:
    """A process with the local SQS of one database, as `make run` holds it (its own moto state: moto keeps one
    per process); closing its input stops it gracefully, as Ctrl-C does."""

    def __init__(self, state: Path, database: str) -> None:
        import subprocess
        import sys

        from localdev.paths import ROOT

        self.process = subprocess.Popen(
            [sys.executable, "-c", RUN, str(state), database],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.endpoint = self._line()

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line.startswith("http://"), line
        return line

    def recover(self) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write("recover\n")
        self.process.stdin.flush()
        self.endpoint = self._line()
        return self.endpoint

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(30) == 0

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def queues_at(endpoint: str) -> LocalSqs:
    api = read_api()
    client = LocalSqs(endpoint, {}).client()
    return LocalSqs(endpoint, {i: client.get_queue_url(QueueName=q.name)["QueueUrl"] for i, q in api.queues.items()})


def receive_all(sqs: LocalSqs, logical_id: str) -> dict[str, dict[str, Any]]:
    """What one receive gets now (up to 10), by body; visibility 30 s so nothing comes back during the test."""
    messages = (
        sqs.client()
        .receive_message(
            QueueUrl=sqs.urls[logical_id],
            MaxNumberOfMessages=10,
            VisibilityTimeout=30,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    return {m["Body"]: m for m in messages}


HIDDEN = 12  # seconds of delay and of visibility: more than a stop and a start take


def test_a_graceful_stop_keeps_every_message_and_the_next_start_delivers_each_once(tmp_path):
    """Issue 8: a Ctrl-C of `make run` lost the delayed order messages (the order stayed PENDING forever), the
    deferred payments and the pending checks: moto kept them in the stopped process's memory. Now the stop writes
    them next to the record and the next start on that database puts them back, with their ids, attributes,
    receive counts and remaining delay or visibility, once."""
    from localdev.sqs import snapshot_path

    database = f"sqlite:///{tmp_path / 'kept.db'}"
    first = Run(tmp_path, database)
    try:
        sqs = queues_at(first.endpoint)
        client = sqs.client()
        sent = {"in flight": client.send_message(QueueUrl=sqs.urls[QUEUE], MessageBody="in flight")["MessageId"]}
        [taken] = client.receive_message(QueueUrl=sqs.urls[QUEUE], VisibilityTimeout=HIDDEN)["Messages"]
        assert taken["MessageId"] == sent["in flight"]  # in flight for HIDDEN s, received once
        sent["visible"] = client.send_message(
            QueueUrl=sqs.urls[QUEUE],
            MessageBody="visible",
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": "order.placed"},
                "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            },
        )["MessageId"]
        sent["delayed"] = client.send_message(QueueUrl=sqs.urls[QUEUE], MessageBody="delayed", DelaySeconds=HIDDEN)[
            "MessageId"
        ]
        sent["dead"] = client.send_message(QueueUrl=sqs.urls[DLQ], MessageBody="dead")["MessageId"]
        stopped_at = time.monotonic()
        first.stop()
        assert snapshot_path(database, tmp_path).exists()

        second = Run(tmp_path, database)
        try:
            assert not snapshot_path(database, tmp_path).exists(), "restored once: the snapshot is gone"
            sqs = queues_at(second.endpoint)
            now = receive_all(sqs, QUEUE)
            assert set(now) == {"visible"}, "the delayed and the in-flight message are not visible yet"
            assert now["visible"]["MessageId"] == sent["visible"]
            assert now["visible"]["MessageAttributes"]["type"]["StringValue"] == "order.placed"
            assert now["visible"]["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\xff"
            assert receive_all(sqs, DLQ)["dead"]["MessageId"] == sent["dead"]
            assert time.monotonic() - stopped_at < HIDDEN - 1, "the restart took too long for this test"
            time.sleep(max(0.0, HIDDEN + 0.5 - (time.monotonic() - stopped_at)))
            later = receive_all(sqs, QUEUE)
            assert set(later) == {"delayed", "in flight"}
            assert {body: m["MessageId"] for body, m in later.items()} == {
                "delayed": sent["delayed"],
                "in flight": sent["in flight"],
            }
            assert later["in flight"]["Attributes"]["ApproximateReceiveCount"] == "2"  # its receive before the stop
            assert later["delayed"]["Attributes"]["ApproximateReceiveCount"] == "1"
            for message in {**now, **later}.values():
                sqs.client().delete_message(QueueUrl=sqs.urls[QUEUE], ReceiptHandle=message["ReceiptHandle"])
        finally:
            second.stop()
        # Only the DLQ's message (received, not deleted) was left: kept again, nothing else comes back.
        third = Run(tmp_path, database)
        try:
            sqs = queues_at(third.endpoint)
            assert receive_all(sqs, QUEUE) == {}
            assert count(sqs, DLQ) == 1
        finally:
            third.stop()
    finally:
        first.kill()


def test_a_run_taking_over_a_stopped_owners_sqs_gets_its_messages(tmp_path):
    """The takeover path: a second run on the same database uses the first's SQS; when the first stops, the second
    starts one at its next failed poll, and the first's messages (a delayed one here) are in it."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = Run(tmp_path, database)
    second = None
    try:
        second = Run(tmp_path, database)
        assert second.endpoint == first.endpoint
        sqs = queues_at(first.endpoint)
        sent = sqs.client().send_message(QueueUrl=sqs.urls[QUEUE], MessageBody="placed", DelaySeconds=2)["MessageId"]
        first.stop()
        moved = second.recover()
        assert moved != first.endpoint
        assert running_endpoint(tmp_path, database) == moved
        sqs = queues_at(moved)
        wait_for(lambda: "placed" in (got := receive_all(sqs, QUEUE)) and got["placed"]["MessageId"] == sent, 10)
    finally:
        first.kill()
        if second is not None:
            second.kill()


def test_a_snapshot_drops_what_sqs_would_have_deleted_and_an_unreadable_one_is_set_aside(sqs, tmp_path, caplog):
    """While nothing served the queues their clock kept running: a message past its queue's retention is not
    restored (SQS deletes it), and a restored one is not restored twice. A damaged snapshot is moved aside."""
    from localdev import sqs_state

    [old, kept] = send(sqs, "old", "kept")
    snapshot = tmp_path / "snapshot.json"
    assert sqs_state.save(snapshot) == 2
    document = json.loads(snapshot.read_text())
    [saved_old] = [m for m in document["queues"][read_api().queues[QUEUE].name] if m["body"] == old]
    saved_old["sent_timestamp"] -= (read_api().queues[QUEUE].retention_seconds + 1) * 1000
    snapshot.write_text(json.dumps(document))
    sqs.client().purge_queue(QueueUrl=sqs.urls[QUEUE])
    assert sqs_state.restore(snapshot) == 1
    assert not snapshot.exists()
    assert list(receive_all(sqs, QUEUE)) == [kept]

    snapshot.write_text("{not json")
    with caplog.at_level("WARNING", logger="localdev.sqs"):
        assert sqs_state.restore(snapshot) == 0
    assert not snapshot.exists()
    assert snapshot.with_suffix(".unreadable").read_text() == "{not json"
    assert "unreadable" in caplog.text


def test_a_run_that_is_stopping_takes_nothing_over(tmp_path):
    """New-user pass: two runs stopped together, and the second one's poller, finding the first's SQS gone while
    the second was already stopping, started a new server there that was never stopped or saved (one that could
    also have taken the messages the first had kept for the next start)."""
    from localdev.sqs import KeptSqs, record_path, snapshot_path

    database = f"sqlite:///{tmp_path / 'stopping.db'}"
    kept = KeptSqs(read_api(), tmp_path, "127.0.0.1", True, database)
    endpoint = kept.current.endpoint
    kept.close()  # its server stops, as a stopping run's does before its pollers have all returned
    snapshot_path(database, tmp_path).write_text("[]")  # what another owner kept for the next start
    assert kept.recover().endpoint == endpoint  # no new server
    assert not record_path(database, tmp_path).exists()
    assert snapshot_path(database, tmp_path).read_text() == "[]"
