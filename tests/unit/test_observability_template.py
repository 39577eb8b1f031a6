"""template.yaml's alarms and dashboard watch what the code really emits, for every function."""

from __future__ import annotations

import json
import re

from localdev.paths import ROOT, STACK_NAME
from localdev.template import load_template, read_api

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
API = read_api(TEMPLATE)
SHORT = {f.logical_id: f.function_name.removeprefix(f"{STACK_NAME}-") for f in API.functions.values()}


def _for_each(name: str) -> tuple[list[str], dict]:
    identifier, collection, fragment = RESOURCES[f"Fn::ForEach::{name}"]
    assert identifier == "FunctionId"
    ((key, resource),) = fragment.items()
    assert key.startswith("${FunctionId}")
    return collection, resource


def test_language_extensions_run_before_sam_and_sam_build_expands_them():
    """sam build (SAM CLI 1.170) fails on Fn::ForEach unless its language extensions are switched on."""
    assert TEMPLATE["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]
    build = (ROOT / "samconfig.toml").read_text().split("[default.build.parameters]", 1)[1].split("\n[", 1)[0]
    assert "language_extensions = true" in build
    assert "export SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS := 1" in (ROOT / "Makefile").read_text()


def test_every_request_path_function_has_the_p99_latency_alarm_of_the_sli():
    names, alarm = _for_each("LatencyAlarms")
    on_request_path = {SHORT[f.logical_id] for f in API.functions.values() if f.routes}
    assert API.authorizer is not None
    on_request_path.add(SHORT[API.authorizer.function])
    assert sorted(names) == sorted(on_request_path)
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/Lambda", "Duration")
    assert (properties["ExtendedStatistic"], properties["Threshold"]) == ("p99", 300)
    assert properties["Dimensions"][0]["Value"].value == "${AWS::StackName}-${FunctionId}"


def test_every_function_has_a_throttle_alarm_and_every_name_is_a_function():
    names, alarm = _for_each("ThrottleAlarms")
    assert sorted(names) == sorted(SHORT.values())
    assert alarm["Properties"]["MetricName"] == "Throttles"


def _source(path: str) -> str:
    return (ROOT / path).read_text()


def _service(logical_id: str) -> str:
    return str(RESOURCES[logical_id]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"])


def test_the_custom_metrics_alarmed_on_are_emitted_under_the_emitting_functions_service():
    outbox = RESOURCES["OutboxAgeAlarm"]["Properties"]
    assert outbox["MetricName"] == "OutboxOldestAgeSeconds"
    assert 'name="OutboxOldestAgeSeconds"' in _source("shared/storefront/application/outbox.py")
    assert outbox["Dimensions"] == [{"Name": "service", "Value": _service("RelayOutboxFunction")}]
    breaker = RESOURCES["CircuitBreakerOpenAlarm"]["Properties"]["Metrics"]
    stats = [m["MetricStat"]["Metric"] for m in breaker if "MetricStat" in m]
    assert {m["MetricName"] for m in stats} == {"CircuitBreakerOpened", "CircuitBreakerOpen"}
    emitted = _source("shared/storefront/adapters/payments/breaker.py")
    for metric in stats:
        assert f'name="{metric["MetricName"]}"' in emitted
        assert metric["Dimensions"] == [{"Name": "service", "Value": _service("ProcessPaymentFunction")}]
    saga_source = _source("shared/storefront/application/saga.py")
    watched_by = {"RefundsDeclinedAlarm": "REFUNDS_DECLINED", "PaymentOutcomesUnresolvedAlarm": "PAYMENTS_UNRESOLVED"}
    for alarm, constant in watched_by.items():
        watched = RESOURCES[alarm]["Properties"]
        assert f'{constant} = "{watched["MetricName"]}"' in saga_source
        assert f"name={constant}" in saga_source
        assert watched["Dimensions"] == [{"Name": "service", "Value": _service("ProcessPaymentFunction")}]
    assert 'name=f"Http{status // 100}xx"' in _source("shared/storefront/http/entry.py")
    assert "Http5xx" in RESOURCES["Functions5xxAlarm"]["Properties"]["Metrics"][0]["Expression"]


def test_the_dashboard_is_json_and_shows_every_alarmed_metric():
    body, variables = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"].value
    rendered = re.sub(r"\$\{[^}]+\}", "x", body)
    widgets = json.loads(rendered)["widgets"]
    text = json.dumps(widgets)
    for metric in ("5XXError", "Http5xx", "Duration", "Throttles", "ApproximateNumberOfMessagesVisible"):
        assert metric in text, metric
    for metric in ("OutboxOldestAgeSeconds", "CircuitBreakerOpened", "CircuitBreakerOpen", "PaymentOutcomesUnresolved"):
        assert metric in text, metric
    alarms = next(w for w in widgets if w["type"] == "alarm")["properties"]["alarms"]
    declared = {k for k, r in RESOURCES.items() if isinstance(r, dict) and r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) == len(declared)
    for name in declared:
        assert f"${{{name}.Arn}}" in body, name
    assert set(variables) == {"OrderProcessingDlq", "PaymentDlq", "NotificationDlq"}
