"""What the local gateway needs from template.yaml: functions, their routes and environment, the authorizer
and API Gateway's gateway responses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from localdev.paths import STACK_NAME, TEMPLATE
from localdev.yaml_text import SafeLoader


class _Intrinsic:
    """A CloudFormation intrinsic (!Ref, !Sub, ...) kept as written."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag = tag
        self.value = value

    def __repr__(self) -> str:
        return f"{self.tag} {self.value!r}"


class _Loader(SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that also reads CloudFormation's short-form tags."""


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Intrinsic:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return _Intrinsic("!" + suffix, value)


_Loader.add_multi_constructor("!", _construct)


# The contract's "I + service key" routes: API Gateway (IAM) only.
INTERNAL_PREFIX = "/api/v1/internal/"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as data; intrinsic functions stay unresolved."""
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    return data


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /KONGAPI/api/v1/products/{product_id}

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regex of the path with one named group per path parameter."""
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", self.path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class SqsSource:
    """An SQS event source mapping of a function (its ``Type: SQS`` event)."""

    queue: str  # the queue's logical id
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleSource:
    """A ``Type: Schedule`` event: an EventBridge rule calling the function."""

    name: str  # the event's name in the template (the rule's name locally)
    expression: str  # rate(...) or cron(...)
    enabled: bool = True


@dataclass(frozen=True)
class Function:
    logical_id: str
    handler: str
    function_name: str
    routes: tuple[Route, ...]
    environment: dict[str, str] = field(default_factory=dict)
    public: bool = False
    sqs: tuple[SqsSource, ...] = ()
    schedules: tuple[ScheduleSource, ...] = ()
    timeout: int = 3  # seconds (Lambda's default)
    iam: bool = False  # its routes use AWS_IAM authorization (SigV4, no token authorizer): see api_gateway_only

    @property
    def api_gateway_only(self) -> bool:
        """An internal route named by IAM and a service key (``/api/v1/internal/...``): Kong, which has no IAM,
        does not route it; the operational IAM routes (health, ready, live, metrics) take a token behind Kong."""
        return self.iam and all(r.path.startswith(INTERNAL_PREFIX) for r in self.routes)


@dataclass(frozen=True)
class QueueResource:
    """An ``AWS::SQS::Queue`` of the template."""

    logical_id: str
    name: str
    visibility_timeout: int = 30  # SQS's defaults
    retention_seconds: int = 345600
    dead_letter: str | None = None  # the logical id of its dead-letter queue
    max_receive_count: int | None = None


@dataclass(frozen=True)
class Authorizer:
    function: str
    header: str
    validation: re.Pattern[str] | None


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]  # as written: 'static' in quotes, or method.request.{header|querystring|path}.NAME
    template: str

    def render_headers(
        self, headers: dict[str, str], query: dict[str, str], path: dict[str, str]
    ) -> list[tuple[str, str]]:
        """The response's headers as API Gateway maps them: a parameter the request lacks sends no header."""
        sources = {"header": {k.lower(): v for k, v in headers.items()}, "querystring": query, "path": path}
        rendered = []
        for name, value in self.headers.items():
            if value.startswith("'") and value.endswith("'"):
                rendered.append((name, value[1:-1]))
                continue
            mapping = re.fullmatch(r"method\.request\.(header|querystring|path)\.(.+)", value)
            if mapping is None:
                raise ValueError(f"gateway response header {name}: unsupported mapping {value!r}")
            kind, key = mapping.groups()
            found = sources[kind].get(key.lower() if kind == "header" else key)
            if found is not None:
                rendered.append((name, found))
        return rendered


@dataclass(frozen=True)
class Api:
    functions: dict[str, Function]
    authorizer: Authorizer | None
    responses: dict[str, GatewayResponse]
    binary_media_types: tuple[str, ...] = ()
    queues: dict[str, QueueResource] = field(default_factory=dict)

    def by_name(self, function_name: str) -> Function:
        """The function deployed under ``function_name`` (what Kong's aws-lambda plugin names)."""
        for function in self.functions.values():
            if function.function_name == function_name:
                return function
        raise KeyError(function_name)


def _name(properties: dict[str, Any], logical_id: str) -> str:
    value = properties.get("FunctionName")
    if isinstance(value, _Intrinsic) and value.tag == "!Sub":
        return str(value.value).replace("${AWS::StackName}", STACK_NAME)
    return str(value or logical_id)


def _logical_id(reference: Any) -> str:
    """The resource a ``!GetAtt X.Arn`` / ``!Ref X`` (or ``Fn::GetAtt: [X, Arn]``) names."""
    if isinstance(reference, _Intrinsic):
        value = reference.value
        return str(value[0] if isinstance(value, list) else value).split(".")[0]
    if isinstance(reference, dict):
        (_, value), *_ = reference.items()
        return str(value[0] if isinstance(value, list) else value).split(".")[0]
    return str(reference)


def _resource_name(value: Any, logical_id: str) -> str:
    if isinstance(value, _Intrinsic) and value.tag == "!Sub":
        return str(value.value).replace("${AWS::StackName}", STACK_NAME)
    return str(value or logical_id)


def _queue(logical_id: str, properties: dict[str, Any]) -> QueueResource:
    redrive = properties.get("RedrivePolicy") or {}
    return QueueResource(
        logical_id,
        _resource_name(properties.get("QueueName"), f"{STACK_NAME}-{logical_id}"),
        int(properties.get("VisibilityTimeout", 30)),
        int(properties.get("MessageRetentionPeriod", 345600)),
        _logical_id(redrive["deadLetterTargetArn"]) if "deadLetterTargetArn" in redrive else None,
        int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
    )


def _sources(events: dict[str, Any]) -> tuple[tuple[SqsSource, ...], tuple[ScheduleSource, ...]]:
    sqs, schedules = [], []
    for name, event in events.items():
        p = event.get("Properties", {})
        if event["Type"] == "SQS":
            sqs.append(
                SqsSource(
                    _logical_id(p["Queue"]),
                    int(p.get("BatchSize", 10)),
                    "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []),
                    bool(p.get("Enabled", True)),
                )
            )
        elif event["Type"] == "Schedule":
            schedules.append(ScheduleSource(name, str(p["Schedule"]), bool(p.get("Enabled", True))))
    return tuple(sqs), tuple(schedules)


def _plain(variables: dict[str, Any]) -> dict[str, str]:
    """Environment variables whose values are literals (intrinsics are deployment-time values)."""
    return {k: str(v) for k, v in variables.items() if not isinstance(v, _Intrinsic)}


def read_api(template: dict[str, Any] | None = None) -> Api:
    """Functions, routes, authorizer and gateway responses of the template."""
    template = template or load_template()
    globals_function = template.get("Globals", {}).get("Function", {})
    globals_env = globals_function.get("Environment", {}).get("Variables", {})
    functions: dict[str, Function] = {}
    queues: dict[str, QueueResource] = {}
    authorizer: Authorizer | None = None
    responses: dict[str, GatewayResponse] = {}
    binary: tuple[str, ...] = ()
    for logical_id, resource in template["Resources"].items():
        if logical_id.startswith("Fn::ForEach::"):  # the per-function alarms (AWS::LanguageExtensions)
            continue
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            routes, public, iam = [], False, False
            for event in properties.get("Events", {}).values():
                if event["Type"] == "Api":
                    p = event["Properties"]
                    routes.append(Route(p["Method"].upper(), p["Path"]))
                    public = public or p.get("Auth", {}).get("Authorizer") == "NONE"
                    iam = iam or p.get("Auth", {}).get("Authorizer") == "AWS_IAM"
            env = {**_plain(globals_env), **_plain(properties.get("Environment", {}).get("Variables", {}))}
            sqs, schedules = _sources(properties.get("Events", {}))
            timeout = int(properties.get("Timeout", globals_function.get("Timeout", 3)))
            functions[logical_id] = Function(
                logical_id,
                properties["Handler"],
                _name(properties, logical_id),
                tuple(routes),
                env,
                public,
                sqs,
                schedules,
                timeout,
                iam,
            )
        elif resource["Type"] == "AWS::SQS::Queue":
            queues[logical_id] = _queue(logical_id, properties)
        elif resource["Type"] == "AWS::Serverless::Api":
            binary = tuple(t.replace("~1", "/") for t in properties.get("BinaryMediaTypes", []))
            auth = properties.get("Auth", {})
            default = auth.get("DefaultAuthorizer")
            if default:
                config = auth["Authorizers"][default]
                arn = config["FunctionArn"]
                identity = config.get("Identity", {})
                expression = identity.get("ValidationExpression")
                authorizer = Authorizer(
                    function=arn.value.split(".")[0] if isinstance(arn, _Intrinsic) else str(arn),
                    header=identity.get("Header", "Authorization"),
                    validation=re.compile(expression) if expression else None,
                )
            for kind, response in properties.get("GatewayResponses", {}).items():
                headers = dict(response.get("ResponseParameters", {}).get("Headers", {}))
                responses[kind] = GatewayResponse(
                    int(response["StatusCode"]),
                    headers,
                    response.get("ResponseTemplates", {}).get("application/json", ""),
                )
    return Api(functions, authorizer, responses, binary, queues)
