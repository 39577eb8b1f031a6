"""Queue settings, the SQS consumer entry (with a test-only consumer), the SQS publisher over a fake client,
and the AWS event shapes the local run builds, field by field."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from localdev.aws_events import failed_ids, queue_arn, scheduled_event, sqs_event, sqs_record
from localdev.poller import rate_seconds
from localdev.runtime import LambdaContext, load_handler
from storefront import bootstrap
from storefront.adapters.messaging.sqs import SqsPublisher, queue_url
from storefront.config import ConfigurationError, QueueSettings, load
from storefront.domain.errors import ExternalUnavailable
from storefront.messages.envelope import Envelope, Queue, envelope
from storefront.messages.identity import PasswordResetRequested
from storefront.messages.orders import ChargeRequested, OrderPlaced, RefundRequested
from tests.consumers import work
from tests.fakes import FakeDeadLetters

ARN = queue_arn("storefront-dev-order-processing")
TENANT = UUID("00000000-0000-4000-8000-000000000001")


def message(key: str, *, fail: bool = False, receive_count: int = 1, body: str | None = None) -> dict[str, Any]:
    """A message as SQS ReceiveMessage returns it (AttributeNames and MessageAttributeNames All)."""
    text = (
        body
        if body is not None
        else envelope(work.Work(key=key, fail=fail), tenant_id=TENANT, occurred_at=datetime.now(UTC)).to_json()
    )
    return {
        "MessageId": str(uuid4()),
        "ReceiptHandle": f"handle-{key}",
        "MD5OfBody": hashlib.md5(text.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "Body": text,
        "Attributes": {
            "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
            "SentTimestamp": "1545082649183",
            "ApproximateReceiveCount": str(receive_count),
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "MD5OfMessageAttributes": "d25a6aea97eb8f585bfa92d314504a92",
        "MessageAttributes": {
            "type": {"StringValue": "test.work", "DataType": "String"},
            "version": {"StringValue": "1", "DataType": "Number"},
        },
    }


@pytest.fixture(autouse=True)
def clean() -> None:
    work.forget()
    work.SKIPPED.clear()


# --- settings -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("queue", "variable"),
    [
        (Queue.ORDER_PROCESSING, "ORDER_PROCESSING_QUEUE_URL"),
        (Queue.PAYMENT, "PAYMENT_QUEUE_URL"),
        (Queue.NOTIFICATION, "NOTIFICATION_QUEUE_URL"),
    ],
)
def test_a_producer_needing_an_unset_queue_gets_a_configuration_error_naming_it(monkeypatch, queue, variable):
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigurationError, match=variable):
        load(QueueSettings).url(queue.value)
    monkeypatch.setenv(variable, "https://sqs.eu-west-1.amazonaws.com/123456789012/q")
    assert QueueSettings().url(queue.value).endswith("/q")


def test_sqs_calls_are_short_by_default_and_the_endpoint_override_is_botocores_variable(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566")
    settings = QueueSettings()
    assert settings.aws_endpoint_url_sqs == "http://127.0.0.1:4566"
    assert settings.sqs_connect_timeout_seconds <= 1
    assert settings.sqs_read_timeout_seconds <= 2
    assert settings.sqs_max_attempts == 3


@pytest.mark.parametrize(("variable", "value"), [("SQS_READ_TIMEOUT_SECONDS", "0"), ("SQS_MAX_ATTEMPTS", "99")])
def test_bad_sqs_timeouts_stop_the_start(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load(QueueSettings)


# --- the consumer entry ---------------------------------------------------------------------------------
def run(handler: Any, messages: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = handler(sqs_event(messages, ARN), LambdaContext("TestConsumer"))
    return result


def test_a_batch_that_succeeds_reports_no_failures():
    dead = FakeDeadLetters()
    bootstrap.provide(dead_letters=dead)
    assert run(work.handler, [message("a"), message("b")]) == {"batchItemFailures": []}
    assert work.PROCESSED == ["a", "b"]
    assert dead.sent == []


def test_only_the_records_that_raise_are_reported_failed():
    batch = [message("a"), message("b", fail=True), message("c"), message("d", fail=True)]
    result = run(work.handler, batch)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": batch[1]["MessageId"]}, {"itemIdentifier": batch[3]["MessageId"]}]
    }
    assert work.PROCESSED == ["a", "c"]


def test_a_batch_where_everything_fails_answers_with_every_id_instead_of_raising():
    batch = [message("a", fail=True), message("b", fail=True)]
    assert failed_ids(run(work.handler, batch), sqs_event(batch, ARN)) == {m["MessageId"] for m in batch}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not a message envelope"),
        (json.dumps({"type": "test.work", "version": 1}), "not a message envelope"),
        (
            Envelope(
                type="test.work",
                version=2,
                id=uuid4(),
                occurred_at=datetime.now(UTC),
                tenant_id=TENANT,
                data={"key": "k"},
            ).to_json(),
            "unknown message type 'test.work' version 2",
        ),
        (
            Envelope(
                type="order.unheard_of", version=1, id=uuid4(), occurred_at=datetime.now(UTC), tenant_id=TENANT, data={}
            ).to_json(),
            "unknown message type 'order.unheard_of'",
        ),
        (
            Envelope(
                type="test.work",
                version=1,
                id=uuid4(),
                occurred_at=datetime.now(UTC),
                tenant_id=TENANT,
                data={"key": 1, "x": 2},
            ).to_json(),
            "test.work v1",
        ),
    ],
)
def test_an_unknown_message_goes_straight_to_the_dlq_and_is_acknowledged(body, reason):
    dead = FakeDeadLetters()
    bootstrap.provide(dead_letters=dead)
    batch = [message("a"), message("?", body=body)]
    assert run(work.handler, batch) == {"batchItemFailures": []}
    assert work.PROCESSED == ["a"]
    assert work.ATTEMPTS == {"a": 1}
    [sent] = dead.sent
    assert (sent["source_arn"], sent["body"]) == (ARN, body)
    assert reason in sent["reason"]
    assert sent["attributes"]["type"] == {
        "stringValue": "test.work",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }


def test_an_unknown_message_whose_dlq_cannot_be_reached_fails_and_comes_back():
    bootstrap.provide(dead_letters=FakeDeadLetters(unavailable=True))
    batch = [message("a"), message("?", body="not json")]
    assert run(work.handler, batch) == {"batchItemFailures": [{"itemIdentifier": batch[1]["MessageId"]}]}


def test_the_hook_sees_each_message_and_may_skip_one_already_done():
    first = message("a")
    assert run(work.guarded_handler, [first]) == {"batchItemFailures": []}
    assert run(work.guarded_handler, [first]) == {"batchItemFailures": []}  # redelivered: skipped by the hook
    assert work.ATTEMPTS == {"a": 1}


# --- the publisher over a fake SQS client -------------------------------------------------------------------
class FakeSqsClient:
    """SendMessageBatch as SQS answers it: ``refuse`` ids fail, ``down`` raises as botocore does."""

    def __init__(self, refuse: set[str] | None = None, down: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.refuse = refuse or set()
        self.down = down

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        if self.down is not None:
            raise self.down
        self.calls.append(request)
        entries = request["Entries"]
        failed = [
            {"Id": e["Id"], "SenderFault": True, "Code": "InvalidParameterValue"}
            for e in entries
            if e["Id"] in self.refuse
        ]
        ok = [{"Id": e["Id"], "MessageId": str(uuid4())} for e in entries if e["Id"] not in self.refuse]
        return {"Successful": ok, **({"Failed": failed} if failed else {})}


def envelopes(count: int) -> list[Envelope]:
    return [envelope(work.Work(key=str(i)), tenant_id=TENANT, occurred_at=datetime.now(UTC)) for i in range(count)]


def queue_settings() -> QueueSettings:
    return QueueSettings(order_processing_queue_url="http://sqs.local/123456789012/orders")


def test_the_publisher_sends_one_batch_with_type_and_version_attributes_and_returns_the_refused_ids():
    sent = envelopes(3)
    client = FakeSqsClient(refuse={str(sent[1].id)})
    assert SqsPublisher(queue_settings(), client).publish(Queue.ORDER_PROCESSING, sent) == [sent[1].id]
    [call] = client.calls
    assert call["QueueUrl"] == "http://sqs.local/123456789012/orders"
    assert [json.loads(e["MessageBody"])["id"] for e in call["Entries"]] == [str(m.id) for m in sent]
    assert call["Entries"][0]["MessageAttributes"] == {
        "type": {"DataType": "String", "StringValue": "test.work"},
        "version": {"DataType": "Number", "StringValue": "1"},
    }


@pytest.mark.parametrize(
    ("setting", "queue", "asked", "sent"),
    [
        (0, Queue.ORDER_PROCESSING, 0, None),  # no setting: no DelaySeconds at all
        (20, Queue.ORDER_PROCESSING, 0, 20),  # make run ORDER_DELAY=20
        (20, Queue.ORDER_PROCESSING, 60, 60),  # a longer delay asked (a deferral) wins
        (20, Queue.PAYMENT, 0, None),  # only the order-processing queue
        (0, Queue.PAYMENT, 5, 5),
    ],
)
def test_order_processing_messages_wait_at_least_the_configured_delay(setting, queue, asked, sent):
    settings = queue_settings().model_copy(
        update={"order_processing_delay_seconds": setting, "payment_queue_url": "http://sqs.local/1/payment"}
    )
    client = FakeSqsClient()
    SqsPublisher(settings, client).publish(queue, envelopes(2), delay_seconds=asked)
    [call] = client.calls
    assert [e.get("DelaySeconds") for e in call["Entries"]] == [sent, sent]


def test_the_publisher_refuses_more_than_ten_and_sends_nothing_for_none():
    client = FakeSqsClient()
    publisher = SqsPublisher(queue_settings(), client)
    with pytest.raises(ValueError, match="at most 10"):
        publisher.publish(Queue.ORDER_PROCESSING, envelopes(11))
    assert publisher.publish(Queue.ORDER_PROCESSING, []) == []
    assert client.calls == []


def test_sqs_failing_the_call_is_external_unavailable():
    from botocore.exceptions import EndpointConnectionError  # type: ignore[import-untyped]

    client = FakeSqsClient(down=EndpointConnectionError(endpoint_url="http://sqs.local"))
    with pytest.raises(ExternalUnavailable):
        SqsPublisher(queue_settings(), client).publish(Queue.ORDER_PROCESSING, envelopes(1))


def test_a_queue_without_its_url_is_a_configuration_error_before_any_call():
    client = FakeSqsClient()
    with pytest.raises(ConfigurationError, match="PAYMENT_QUEUE_URL"):
        SqsPublisher(queue_settings(), client).publish(Queue.PAYMENT, envelopes(1))


@pytest.mark.parametrize(
    ("endpoint", "arn", "url"),
    [
        (
            "https://sqs.eu-west-1.amazonaws.com",
            "arn:aws:sqs:eu-west-1:123456789012:q-dlq",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/q-dlq",
        ),
        ("http://127.0.0.1:5000/", "arn:aws:sqs:eu-west-1:123456789012:q", "http://127.0.0.1:5000/123456789012/q"),
    ],
)
def test_a_queue_url_is_derived_from_its_arn(endpoint, arn, url):
    assert queue_url(endpoint, arn) == url


# --- event shapes (AWS: Lambda's SQS event, EventBridge's scheduled event) ----------------------------------
def test_an_sqs_record_has_every_field_lambda_sends():
    received = message("a", receive_count=3)
    received["Attributes"]["SqsManagedSseEnabled"] = "true"  # ReceiveMessage may return more than a record holds
    record = sqs_record(received, ARN)
    assert list(record) == [
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
        "eventSource", "eventSourceARN", "awsRegion", "md5OfMessageAttributes",
    ]  # fmt: skip
    assert record["messageId"] == received["MessageId"]
    assert record["receiptHandle"] == received["ReceiptHandle"]
    assert record["body"] == received["Body"]
    assert record["attributes"] == {
        "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
        "SentTimestamp": "1545082649183",
        "ApproximateReceiveCount": "3",
        "ApproximateFirstReceiveTimestamp": "1545082649185",
    }
    assert record["messageAttributes"]["version"] == {
        "stringValue": "1", "stringListValues": [], "binaryListValues": [], "dataType": "Number",
    }  # fmt: skip
    assert record["md5OfBody"] == hashlib.md5(received["Body"].encode()).hexdigest()  # noqa: S324
    assert record["md5OfMessageAttributes"] == received["MD5OfMessageAttributes"]
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", ARN, "eu-west-1")


def test_a_record_without_message_attributes_has_no_attributes_checksum_and_binary_values_are_base64():
    received = message("a")
    del received["MD5OfMessageAttributes"]
    received["MessageAttributes"] = {}
    assert "md5OfMessageAttributes" not in sqs_record(received, ARN)
    received["MessageAttributes"] = {"blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"}}
    assert sqs_record(received, ARN)["messageAttributes"]["blob"]["binaryValue"] == "AAE="


@pytest.mark.parametrize(
    ("answer", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m1"}]}, {"m1"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"m1", "m2"}),  # empty identifier: the whole batch
        ({"batchItemFailures": [{"itemIdentifier": "elsewhere"}]}, {"m1", "m2"}),  # not in the batch
        ({"batchItemFailures": [{"id": "m1"}]}, {"m1", "m2"}),  # wrong key
        ({"batchItemFailures": "m1"}, {"m1", "m2"}),
        ("not an object", {"m1", "m2"}),
    ],
)
def test_batch_item_failures_are_read_as_lambda_reads_them(answer, failed):
    event = {"Records": [{"messageId": "m1"}, {"messageId": "m2"}]}
    assert failed_ids(answer, event) == failed


def test_a_scheduled_event_has_every_field_eventbridge_sends():
    event = scheduled_event("storefront-dev-RelayRule", datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC))
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert UUID(event["id"])
    assert (event["version"], event["detail-type"], event["source"]) == ("0", "Scheduled Event", "aws.events")
    assert (event["account"], event["region"], event["time"]) == ("123456789012", "eu-west-1", "2026-11-24T10:00:00Z")
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/storefront-dev-RelayRule"]
    assert event["detail"] == {}


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 days)", 172800),
        ("cron(0 12 * * ? *)", None),
    ],
)
def test_rate_schedules(expression, seconds):
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize("expression", ["rate(1 minutes)", "rate(2 minute)", "rate(0 minutes)", "every minute"])
def test_malformed_rates_are_refused_as_eventbridge_does(expression):
    with pytest.raises(ValueError):
        rate_seconds(expression)


@pytest.mark.parametrize(
    ("handler", "data"),
    [
        ("orders.process_order.handler", ChargeRequested(order_id=uuid4())),
        ("orders.process_payment.handler", OrderPlaced(order_id=uuid4())),
        ("notifications.send_notification.handler", RefundRequested(order_id=uuid4())),
        ("orders.process_order.handler", PasswordResetRequested(user_id=uuid4())),
    ],
)
def test_a_registered_type_on_the_wrong_queue_goes_to_the_dlq_on_its_first_receive(monkeypatch, handler, data):
    """The saga builder's notice: such a message used to fail five times before SQS moved it."""
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("PAYMENT_PROVIDER_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("PAYMENT_PROVIDER_API_KEY", "local")
    dead = FakeDeadLetters()
    bootstrap.provide(dead_letters=dead)
    body = envelope(data, tenant_id=TENANT, occurred_at=datetime.now(UTC)).to_json()
    assert run(load_handler(handler), [message("?", body=body)]) == {"batchItemFailures": []}
    [sent] = dead.sent
    assert sent["body"] == body
    assert "does not belong on the" in sent["reason"]
