"""template.yaml's queues, their consumers and alarms keep the rules that make the pipeline lose nothing."""

from __future__ import annotations

from typing import Any

from localdev.template import _Intrinsic, load_template, read_api

TEMPLATE = load_template()
API = read_api(TEMPLATE)
SOURCES = {k: q for k, q in API.queues.items() if q.dead_letter is not None}
DEAD_LETTER_QUEUES = {q.dead_letter for q in SOURCES.values()}
GLOBAL_TIMEOUT = int(TEMPLATE["Globals"]["Function"].get("Timeout", 3))


def consumers(queue: str) -> list[Any]:
    return [f for f in API.functions.values() for s in f.sqs if s.queue == queue]


def test_every_queue_is_a_dead_letter_queue_or_has_one():
    assert SOURCES, "the template has queues"
    for logical_id, queue in API.queues.items():
        assert logical_id in DEAD_LETTER_QUEUES or queue.dead_letter is not None, f"{logical_id} has no DLQ"


def test_every_redrive_policy_allows_at_least_five_receives_and_names_a_template_queue():
    for logical_id, queue in SOURCES.items():
        assert queue.dead_letter in API.queues, logical_id
        assert queue.max_receive_count is not None
        assert queue.max_receive_count >= 5, logical_id


def test_every_dead_letter_queue_keeps_messages_longer_than_its_source():
    for logical_id, queue in SOURCES.items():
        assert queue.dead_letter is not None
        assert API.queues[queue.dead_letter].retention_seconds > queue.retention_seconds, logical_id


def test_visibility_is_at_least_six_times_the_timeout_of_every_consumer():
    for logical_id, queue in SOURCES.items():
        timeouts = [f.timeout for f in consumers(logical_id)] or [GLOBAL_TIMEOUT]
        assert queue.visibility_timeout >= 6 * max(timeouts), logical_id


def test_every_sqs_event_reports_batch_item_failures_and_reads_a_template_queue():
    for function in API.functions.values():
        for source in function.sqs:
            assert source.report_batch_item_failures, f"{function.logical_id}: FunctionResponseTypes"
            assert source.queue in SOURCES, f"{function.logical_id} reads {source.queue}: not a queue with a DLQ"
            assert 1 <= source.batch_size <= 10, "no batching window: at most 10 per batch"


def _names(value: Any) -> str:
    return str(value.value if isinstance(value, _Intrinsic) else value)


def test_every_dead_letter_queue_has_an_alarm_on_any_visible_message():
    alarms = [
        r["Properties"]
        for r in TEMPLATE["Resources"].values()
        if isinstance(r, dict) and r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    for dead_letter in DEAD_LETTER_QUEUES:
        matching = [
            a
            for a in alarms
            if a.get("Namespace") == "AWS/SQS"
            and any(_names(d["Value"]) == f"{dead_letter}.QueueName" for d in a.get("Dimensions", []))
        ]
        assert matching, f"no alarm on {dead_letter}"
        alarm = matching[0]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (alarm["ComparisonOperator"], float(alarm["Threshold"])) == ("GreaterThanThreshold", 0.0)


SYNTHETIC = {
    "Globals": {"Function": {"Timeout": 10}},
    "Resources": {
        "Work": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _Intrinsic("!Sub", "${AWS::StackName}-work"),
                "VisibilityTimeout": 180,
                "RedrivePolicy": {"deadLetterTargetArn": _Intrinsic("!GetAtt", "WorkDlq.Arn"), "maxReceiveCount": 5},
            },
        },
        "WorkDlq": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
        "Consumer": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "work.consume.handler",
                "Timeout": 30,
                "Events": {
                    "Queue": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": {"Fn::GetAtt": ["Work", "Arn"]},
                            "BatchSize": 5,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    },
                    "Relay": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)", "Enabled": False}},
                },
            },
        },
    },
}


def test_the_local_run_reads_sqs_and_schedule_events_and_queues_from_the_template():
    api = read_api(SYNTHETIC)
    function = api.functions["Consumer"]
    [source] = function.sqs
    assert (source.queue, source.batch_size) == ("Work", 5)
    assert (source.report_batch_item_failures, source.enabled) == (True, True)
    [schedule] = function.schedules
    assert (schedule.name, schedule.expression, schedule.enabled) == ("Relay", "rate(1 minute)", False)
    assert function.timeout == 30
    work, dead = api.queues["Work"], api.queues["WorkDlq"]
    assert (work.name, work.visibility_timeout, work.dead_letter, work.max_receive_count) == (
        "storefront-dev-work",
        180,
        "WorkDlq",
        5,
    )
    assert (dead.name, dead.retention_seconds, dead.visibility_timeout) == ("storefront-dev-WorkDlq", 1209600, 30)
