"""The local Kong emulation behaves as Kong 3.9's router and plugins do with kong/kong.yml."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import fakeredis
import jwt
import pytest
import yaml

from localdev.events import HttpRequest
from localdev.kong import KongConfig, KongConfigError, KongProxy, load_kong
from localdev.kong.aws_lambda_plugin import UnknownFunction, aws_serializer
from localdev.kong.declarative import plugin_config
from localdev.kong.http import KongRequest
from localdev.kong.jwt_plugin import Refusal, authenticate
from localdev.paths import KONG_CONFIG

KONG = load_kong()
SECRET = KONG.jwt_secrets()["storefront-web"]
FIXTURES = Path(__file__).parent.parent / "fixtures"
PRODUCT = "/KONGAPI/api/v1/products/5a1d2c4e-0001-4000-8000-000000000001"


def request(method: str = "GET", path: str = PRODUCT, query: str = "", headers=(), body: bytes = b"") -> HttpRequest:
    return HttpRequest(method, path, query, list(headers), body, "203.0.113.10")


def sign(claims: dict[str, Any] | None = None, secret: str = SECRET, algorithm: str = "HS256", **header: Any) -> str:
    now = int(time.time())
    payload = {"iss": "storefront-web", "iat": now, "exp": now + 600, **(claims or {})}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, secret, algorithm=algorithm, headers=header or None)


def proxy(kong: KongConfig, call: Any, redis: Any = None) -> KongProxy:
    """The emulated Kong with an in-memory Redis behind its rate-limiting plugin (no I/O)."""
    store = redis if redis is not None else fakeredis.FakeRedis()
    return KongProxy(kong, call, connect=lambda config: store)


class Recorder:
    """A function caller that records the events and answers what it is given."""

    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer = answer if answer is not None else {"statusCode": 200, "body": "{}", "headers": {}}
        self.error = error

    def __call__(self, name: str, event: dict[str, Any]) -> Any:
        if name not in {r.plugins["aws-lambda"]["function_name"] for r in KONG.routes if "aws-lambda" in r.plugins}:
            raise UnknownFunction(name)
        self.events.append(event)
        if self.error:
            raise self.error
        return self.answer


def with_config(text_change: dict[str, Any], tmp_path: Path, route: str = "get-product"):
    """kong.yml with the aws-lambda config of ``route`` changed."""
    data = yaml.safe_load(KONG_CONFIG.read_text())
    for r in data["services"][0]["routes"]:
        if r["name"] == route:
            r["plugins"][0]["config"].update(text_change)
    path = tmp_path / "kong.yml"
    path.write_text(yaml.safe_dump(data))
    return load_kong(path)


# --- router -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "route", "captures"),
    [
        ("GET", "/KONGAPI/api/v1/products", "list-products", {}),
        ("POST", "/KONGAPI/api/v1/products", "create-product", {}),
        ("GET", PRODUCT, "get-product", {"product_id": PRODUCT.rsplit("/", 1)[1]}),
        ("OPTIONS", "/KONGAPI/api/v1/products", "cors-preflight", {"proxy": "products"}),
        ("PATCH", "/KONGAPI/api/v1/products", "no-route", {}),
        ("GET", "/KONGAPI/api/v1/products/a/b", "no-route", {}),
        ("GET", "/elsewhere", "no-route", {}),
    ],
)
def test_routes_match_like_kongs_default_router(method, path, route, captures):
    matched = KONG.route_for(method, path)
    assert matched is not None
    assert (matched.route.name, matched.captures) == (route, captures)


# --- aws-lambda: the awsgateway_compatible event ------------------------------------------------------


def kong_request() -> KongRequest:
    headers = [("Host", "api.storefront.example:8000"), ("User-Agent", "curl/8.5.0"), ("X-Multi", "one")]
    http = request(query="fields=sku&tag=a&tag=b&flag", headers=[*headers, ("X-Multi", "two")])
    kong_request = KongRequest.of(http)
    kong_request.request_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    return kong_request


def test_the_event_has_exactly_the_fields_of_kongs_awsgateway_compatible_payload():
    expected = json.loads((FIXTURES / "kong_awsgateway_event.json").read_text())
    del expected["_comment"]
    matched = KONG.route_for("GET", PRODUCT)
    assert matched is not None
    config = matched.route.plugins["aws-lambda"]
    event = aws_serializer(kong_request(), matched, config, started=1795514400.25)
    assert json.loads(json.dumps(event)) == expected
    assert "stage" not in event["requestContext"]
    assert "authorizer" not in event["requestContext"]


def test_the_traditional_router_also_sends_the_matched_route_path_as_resource():
    matched = KONG.route_for("GET", PRODUCT)
    assert matched is not None
    event = aws_serializer(kong_request(), matched, matched.route.plugins["aws-lambda"], "traditional")
    assert event["resource"] == "/KONGAPI/api/v1/products/(?<product_id>[^/]+)$"


def test_a_body_is_base64_encoded_and_left_alone_when_switched_off():
    matched = KONG.route_for("POST", "/KONGAPI/api/v1/products")
    assert matched is not None
    config = matched.route.plugins["aws-lambda"]
    http = request("POST", "/KONGAPI/api/v1/products", body=b'{"a": 1}')
    encoded = aws_serializer(KongRequest.of(http), matched, config)
    plain = aws_serializer(KongRequest.of(http), matched, {**config, "base64_encode_body": False})
    assert (encoded["body"], encoded["isBase64Encoded"]) == (base64.b64encode(b'{"a": 1}').decode(), True)
    assert (plain["body"], plain["isBase64Encoded"]) == ('{"a": 1}', False)


# --- aws-lambda: the response -------------------------------------------------------------------------


def test_a_proxy_integration_answers_with_the_functions_status_headers_and_body():
    answer = {"statusCode": 201, "multiValueHeaders": {"Location": ["/x"]}, "body": "e30=", "isBase64Encoded": True}
    response = proxy(KONG, Recorder(answer)).handle(request("GET", "/KONGAPI/api/v1/products"))
    headers = dict(response.headers)
    assert (response.status, response.body, headers["Location"]) == (201, b"{}", "/x")
    assert "X-Amz-Log-Result" not in headers, "kong.yml sets log_type None: no function log reaches clients"


@pytest.mark.parametrize(
    ("answer", "content_type"),
    [
        ({"statusCode": 204, "body": "", "headers": {}}, None),  # the Invoke API's Content-Type is dropped on a 204
        ({"statusCode": 204, "body": "", "headers": {"Content-Type": "text/plain"}}, None),
        ({"statusCode": 200, "body": "{}", "headers": {}}, "application/json"),  # kept on any other status
    ],
)
def test_a_204_is_header_only_without_content_type_or_length_as_nginx_sends_it(answer, content_type):
    response = proxy(KONG, Recorder(answer)).handle(request("DELETE"))
    names = {name.lower(): value for name, value in response.headers}
    assert (response.status, names.get("content-type")) == (answer["statusCode"], content_type)
    if response.status == 204:
        assert (response.body, "content-length" in names) == (b"", False)


def test_without_is_proxy_integration_kong_answers_200_with_the_raw_return_value(tmp_path):
    kong = with_config({"is_proxy_integration": False}, tmp_path)
    answer = {"statusCode": 404, "headers": {"X-Cache": "MISS"}, "body": '{"success":false}', "tags": []}
    response = proxy(kong, Recorder(answer)).handle(request())
    assert response.status == 200
    assert json.loads(response.body) == {**answer, "tags": []}
    assert dict(response.headers)["Content-Type"] == "application/json"


def test_kongs_defaults_leak_the_log_tail_and_turn_empty_arrays_into_objects(tmp_path):
    kong = with_config({"is_proxy_integration": False, "log_type": None, "empty_arrays_mode": None}, tmp_path)
    response = proxy(kong, Recorder({"data": []})).handle(request())
    assert json.loads(response.body) == {"data": {}}
    assert base64.b64decode(dict(response.headers)["X-Amz-Log-Result"]).startswith(b"START RequestId:")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"body": "{}"}, "statusCode validation failed"),
        ({"statusCode": 700}, "statusCode validation failed"),
        ({"statusCode": 200, "headers": None}, "headers must be a table"),
        ({"statusCode": 200, "body": {"a": 1}}, "body must be a string"),
        ({"statusCode": 200, "isBase64Encoded": "yes"}, "isBase64Encoded must be a boolean"),
        (["not", "an", "object"], "proxy response must be json format"),
    ],
)
def test_an_invalid_proxy_response_is_kongs_502(answer, reason):
    response = proxy(KONG, Recorder(answer)).handle(request())
    assert response.status == 502
    assert json.loads(response.body) == {
        "message": "Bad Gateway",
        "error": f"could not JSON decode Lambda function response: {reason}",
    }


def test_a_function_that_raises_is_a_502_and_an_unknown_function_a_500(tmp_path):
    raised = KongProxy(KONG, Recorder(error=RuntimeError("boom"))).handle(request())
    assert raised.status == 502
    unknown = proxy(with_config({"function_name": "storefront-dev-Nope"}, tmp_path), Recorder()).handle(request())
    assert (unknown.status, json.loads(unknown.body)) == (500, {"message": "An unexpected error occurred"})


def test_the_function_gets_kongs_own_request_id_the_one_the_client_gets():
    recorder = Recorder()
    response = proxy(KONG, recorder).handle(request(headers=[("Authorization", f"Bearer {sign()}")]))
    event = recorder.events[0]
    assert "x-kong-request-id" not in event["headers"]
    assert dict(response.headers)["X-Kong-Request-Id"] == event["requestContext"]["requestId"]
    kept = Recorder()
    proxy(KONG, kept).handle(request(headers=[("X-Kong-Request-ID", "client-chosen")]))
    assert kept.events[0]["headers"]["x-kong-request-id"] == "client-chosen"


# --- jwt ----------------------------------------------------------------------------------------------

JWT_CONFIG = KONG.route_for("GET", PRODUCT).route.plugins["jwt"]  # type: ignore[union-attr]
NOW = int(time.time())


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"message": "Unauthorized"}),
        ({"authorization": "Basic abc"}, {"message": "Unauthorized"}),
        ({"authorization": "Bearer garbage"}, {"message": "Bad token; invalid JSON"}),
        ({"authorization": f"Bearer {sign({'iss': None})}"}, {"message": "No mandatory 'iss' in claims"}),
        ({"authorization": f"Bearer {sign({'iss': ''})}"}, {"message": "Invalid 'iss' in claims"}),
        ({"authorization": f"Bearer {sign({'iss': 'nobody'})}"}, {"message": "No credentials found for given 'iss'"}),
        ({"authorization": f"Bearer {sign(secret='x' * 40)}"}, {"message": "Invalid signature"}),
        ({"authorization": f"Bearer {sign(algorithm='HS512')}"}, {"message": "Invalid algorithm"}),
        ({"authorization": f"Bearer {sign({'exp': NOW})}"}, {"exp": "token expired"}),
        ({"authorization": f"Bearer {sign({'exp': NOW - 1})}"}, {"exp": "token expired"}),
        ({"authorization": f"Bearer {sign({'exp': str(NOW + 60)})}"}, {"exp": "must be a number"}),
        ({"authorization": f"Bearer {sign({'exp': True})}"}, {"exp": "must be a number"}),
        ({"authorization": f"Bearer {sign({'exp': NOW + 7200})}"}, {"exp": "exceeds maximum allowed expiration"}),
    ],
)
def test_kong_refuses_with_its_own_answers(headers, body):
    kong_request = KongRequest.of(request(headers=list(headers.items())))
    with pytest.raises(Refusal) as refused:
        authenticate(kong_request, JWT_CONFIG, KONG, clock=lambda: NOW + 0.9)
    assert refused.value.body == body


@pytest.mark.parametrize(
    "token",
    [
        sign({"exp": NOW + 60.5}),  # a float is a Lua number too
        sign({"iss": None}, iss="storefront-web"),  # the key claim may sit in the token header
    ],
)
def test_kong_accepts(token):
    kong_request = KongRequest.of(request(headers=[("Authorization", f"bearer {token}")]))
    credential, _ = authenticate(kong_request, JWT_CONFIG, KONG, clock=lambda: NOW + 0.9)  # NOW: at import
    assert credential.consumer.username == "storefront-web"


def test_two_different_tokens_are_refused():
    config = {**JWT_CONFIG, "uri_param_names": ["jwt"]}
    kong_request = KongRequest.of(
        request(query=f"jwt={sign({'sub': 'a'})}", headers=[("Authorization", f"Bearer {sign()}")])
    )
    with pytest.raises(Refusal) as refused:
        authenticate(kong_request, config, KONG)
    assert refused.value.body == {"message": "Multiple tokens provided"}


def test_without_anonymous_kong_answers_401_and_with_it_passes_the_anonymous_consumer_on():
    strict = {**JWT_CONFIG, "anonymous": None}
    from localdev.kong import jwt_plugin

    spoofed = [("X-Consumer-ID", "spoofed"), ("X-Credential-Identifier", "spoofed")]
    refused = jwt_plugin.access(KongRequest.of(request(headers=spoofed)), strict, KONG)
    assert refused is not None
    assert (refused.status, refused.get("WWW-Authenticate")) == (401, "Bearer")
    passed = KongRequest.of(request(headers=spoofed))
    assert jwt_plugin.access(passed, JWT_CONFIG, KONG) is None
    anonymous = KONG.consumer("anonymous")
    assert anonymous is not None
    assert passed.headers["x-consumer-id"] == anonymous.id
    assert passed.headers["x-anonymous-consumer"] == "true"
    assert "x-credential-identifier" not in passed.headers
    valid = KongRequest.of(request(headers=[*spoofed, ("Authorization", f"Bearer {sign()}")]))
    assert jwt_plugin.access(valid, JWT_CONFIG, KONG) is None
    assert valid.headers["x-credential-identifier"] == "storefront-web"
    assert "x-anonymous-consumer" not in valid.headers


# --- cors, request-termination --------------------------------------------------------------------------


def test_kong_answers_a_preflight_with_200_itself_unless_told_to_continue():
    from localdev.kong import cors_plugin

    config = {**KONG.global_plugins["cors"], "preflight_continue": False, "methods": ["GET"]}
    preflight = [("Origin", "http://localhost:5173"), ("Access-Control-Request-Method", "GET")]
    answer = cors_plugin.access(KongRequest.of(request("OPTIONS", headers=preflight)), config)
    assert answer is not None
    assert answer.status == 200
    assert answer.get("Access-Control-Allow-Origin") == "http://localhost:5173"
    assert answer.get("Access-Control-Max-Age") == "3600"
    continued = cors_plugin.access(KongRequest.of(request("OPTIONS", headers=preflight)), KONG.global_plugins["cors"])
    assert continued is None


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        (["^http://localhost(:[0-9]+)?$"], "http://localhost:5173", "http://localhost:5173"),
        (["^http://localhost(:[0-9]+)?$"], "http://localhost:80", "http://localhost"),
        (["^http://localhost(:[0-9]+)?$"], "http://localhost.evil.example", None),
        (["^http://localhost(:[0-9]+)?$"], "https://localhost:5173", None),
        (["http://a.example", "http://b.example"], "http://b.example:80", "http://b.example"),
        (["http://a.example"], "http://evil.example", "http://a.example"),  # one plain origin: sent to anyone
        (["a\\.example"], "https://a.example:8443", "https://a.example:8443"),  # no ":": matched on the host
    ],
)
def test_the_cors_plugin_matches_origins_as_kong_does(origins, origin, allowed):
    from localdev.kong import cors_plugin
    from localdev.kong.http import KongResponse

    config = plugin_config("cors", {"origins": origins}, "test")
    response = KongResponse(200)
    cors_plugin.header_filter(KongRequest.of(request(headers=[("Origin", origin)])), config, response)
    assert response.get("Access-Control-Allow-Origin") == allowed
    assert response.get("Vary") == "Origin"


@pytest.mark.parametrize("path", ["/x", "/KONGAPI/api/v1/nowhere", "/KONGAPI/api/v1/products/a/b"])
def test_unmatched_paths_reach_the_catch_all_function_with_cors_headers(path):
    recorder = Recorder({"statusCode": 404, "body": "{}", "headers": {"Content-Type": "application/json"}})
    response = proxy(KONG, recorder).handle(request("GET", path, headers=[("Origin", "http://127.0.0.1:3000")]))
    assert response.status == 404
    assert [e["path"] for e in recorder.events] == [path]
    assert dict(response.headers)["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"


# --- declarative config validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_proxy_integraton": True}, "unknown field 'is_proxy_integraton'"),
        ({"timeout": "soon"}, "expected a number"),
        ({"log_type": "Full"}, "expected one of Tail, None"),
        ({"unhandled_status": True}, "expected a integer"),
    ],
)
def test_a_field_kongs_schema_refuses_stops_the_load(tmp_path, change, message):
    with pytest.raises(KongConfigError, match=message):
        with_config(change, tmp_path)


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("jwt", {"leeway": 30}, "unknown field 'leeway'"),
        ("jwt", {"maximum_expiration": 60, "claims_to_verify": ["nbf"]}, "must contain 'exp'"),
        ("request-termination", {"message": "x", "body": "y"}, "message cannot be used"),
        ("key-auth", {}, "not emulated"),
    ],
)
def test_plugin_configs_are_checked_like_kong_checks_them(name, config, message):
    with pytest.raises(KongConfigError, match=message):
        plugin_config(name, config, "test")


def test_defaults_come_from_kongs_schema():
    config = plugin_config("aws-lambda", {}, "test")
    assert (config["is_proxy_integration"], config["log_type"], config["skip_large_bodies"]) == (False, "Tail", True)
    assert plugin_config("jwt", {}, "test")["uri_param_names"] == ["jwt"]


@pytest.mark.parametrize(
    ("config", "headers", "status", "body"),
    [
        ({"status_code": 503}, [], 503, b'{"message":"Service unavailable"}'),
        ({"status_code": 418}, [], 418, b""),
        ({"status_code": 403, "message": "no"}, [], 403, b'{"message":"no"}'),
        ({"status_code": 410, "body": "gone", "content_type": "text/plain"}, [], 410, b"gone"),
        (
            {"status_code": 403, "message": "Forbidden", "trigger": "X-Stop"},
            [("X-Stop", "1")],
            403,
            b'{"message":"Forbidden"}',
        ),
        ({"status_code": 403, "trigger": "X-Stop"}, [], 502, None),  # not triggered: Kong would proxy
    ],
)
def test_request_termination_answers_as_configured(tmp_path, config, headers, status, body):
    data = yaml.safe_load(KONG_CONFIG.read_text())
    catch_all = next(r for r in data["services"][0]["routes"] if r["name"] == "no-route")
    catch_all["plugins"] = [{"name": "request-termination", "config": config}]
    path = tmp_path / "kong.yml"
    path.write_text(yaml.safe_dump(data))
    response = proxy(load_kong(path), Recorder()).handle(request(path="/x", headers=headers))
    assert response.status == status
    if body is not None:
        assert response.body == body


@pytest.mark.parametrize("generator", ["uuid", "uuid#counter", "tracker"])
def test_correlation_id_generators(tmp_path, generator):
    data = yaml.safe_load(KONG_CONFIG.read_text())
    config = {"generator": generator, "echo_downstream": True, "header_name": "X-Correlation"}
    plugin = {"name": "correlation-id", "config": config}
    data["plugins"].insert(0, plugin)  # not in the generated file; the emulation still runs it as Kong does
    path = tmp_path / "kong.yml"
    path.write_text(yaml.safe_dump(data))
    recorder = Recorder()
    response = proxy(load_kong(path), recorder).handle(request(headers=[("Authorization", f"Bearer {sign()}")]))
    assert dict(response.headers)["X-Correlation"] == recorder.events[0]["headers"]["x-correlation"]
