"""template.yaml, functions/, events/ and kong/kong.yml describe the same system."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localdev.generate_kong import no_route_function
from localdev.kong import load_kong
from localdev.paths import ROOT
from localdev.template import load_template, read_api

API = read_api()
KONG = load_kong()
HTTP_FUNCTIONS = {k: f for k, f in API.functions.items() if f.routes}
# The IAM-only internal routes: API Gateway alone serves them (Kong has no IAM).
KONG_FUNCTIONS = {k: f for k, f in HTTP_FUNCTIONS.items() if not f.iam}
IAM_PATHS = {r.path for f in HTTP_FUNCTIONS.values() if f.iam for r in f.routes}


def handler_file(handler: str) -> Path:
    module = handler.rpartition(".")[0]
    return ROOT / "functions" / (module.replace(".", "/") + ".py")


@pytest.mark.parametrize("function", API.functions.values(), ids=lambda f: f.logical_id)
def test_every_function_has_its_module_and_an_event(function):
    module = handler_file(function.handler)
    assert module.is_file(), f"{function.logical_id}: no {module}"
    name = function.handler.rpartition(".")[2]
    assert re.search(rf"^({name} = |def {name}\()", module.read_text(), re.M), f"{module} has no {name}"
    event = ROOT / "events" / module.parent.name / f"{module.stem}.json"
    assert event.is_file(), f"{function.logical_id}: no sample event {event}"


def test_every_module_is_a_function():
    modules = {p for p in (ROOT / "functions").rglob("*.py") if p.name != "__init__.py"}
    assert modules == {handler_file(f.handler) for f in API.functions.values()}


def test_every_event_belongs_to_a_function():
    events = {p.relative_to(ROOT / "events").with_suffix("") for p in (ROOT / "events").rglob("*.json")}
    expected = {handler_file(f.handler).relative_to(ROOT / "functions").with_suffix("") for f in API.functions.values()}
    assert events == expected


@pytest.mark.parametrize("function", KONG_FUNCTIONS.values(), ids=lambda f: f.logical_id)
def test_every_route_has_a_kong_route_to_the_same_function(function):
    # API Gateway's IAM-only internal paths: no Kong route, nor a Kong preflight route (a test below)
    gateway_only = {r.path for f in API.functions.values() if f.api_gateway_only for r in f.routes}
    for route in function.routes:
        if route.method == "ANY" or route.path in gateway_only:  # the catch-all: Kong's no-route route (below)
            continue
        example = re.sub(r"\{\w+\+?\}", "00000000-0000-4000-8000-000000000000", route.path)
        matched = KONG.route_for(route.method, example)
        assert matched is not None, f"{route.method} {route.path} has no Kong route"
        kong_route = matched.route
        assert kong_route.plugins["aws-lambda"]["function_name"] == function.function_name
        assert ("jwt" in kong_route.plugins) is (not function.public), (
            f"{kong_route.name}: jwt plugin exactly on protected routes"
        )
        names = set(re.findall(r"\{(\w+)\+?\}", route.path))
        assert set(matched.captures) == names, "Kong passes the template's path parameters"


def test_every_kong_lambda_route_names_a_template_function_as_a_proxy_integration():
    names = {f.function_name for f in API.functions.values()}
    for route in KONG.routes:
        if "aws-lambda" in route.plugins:
            assert route.plugins["aws-lambda"]["function_name"] in names, route.name
            config = route.plugins["aws-lambda"]
            assert config["awsgateway_compatible"] is True
            assert config["is_proxy_integration"] is True, "Kong would answer 200 with the raw return value"
            assert config["skip_large_bodies"] is False, "Kong would drop bodies over 8 KiB"
            assert config["log_type"] == "None", "Kong would send the function's log tail to the client"


def test_kong_jwt_plugins_hand_failures_to_the_function():
    for route in KONG.routes:
        if "jwt" in route.plugins:
            config = route.plugins["jwt"]
            anonymous = KONG.consumer(config["anonymous"])
            assert anonymous is not None
            assert all(c.consumer != anonymous for c in KONG.credentials.values())
            assert config["key_claim_name"] == "iss"
            assert "exp" in config["claims_to_verify"]
            assert config["maximum_expiration"] <= 3600


def test_every_api_route_answers_a_preflight_through_both_gateways():
    from storefront.http.routes import ROUTES

    preflight = next(f for f in API.functions.values() if any(r.method == "OPTIONS" for r in f.routes))
    assert preflight.public
    gateway_only = {r.path for f in API.functions.values() if f.api_gateway_only for r in f.routes}
    served = {r.path for f in API.functions.values() for r in f.routes if r.method not in ("OPTIONS", "ANY")}
    assert set(ROUTES) == served, "every route's path, the IAM ones (health, live, ready, metrics) included"
    for path in ROUTES:
        example = re.sub(r"\{\w+\+?\}", "x", path)
        assert any(r.pattern.match(example) for r in preflight.routes), path
        matched = KONG.route_for("OPTIONS", example)
        assert matched is not None
        # Kong has no route for API Gateway's IAM-only internal paths: their OPTIONS meets the catch-all's 404
        expected = no_route_function(API) if path in gateway_only else preflight
        assert matched.route.plugins["aws-lambda"]["function_name"] == expected.function_name, path
    assert KONG.global_plugins["cors"]["preflight_continue"] is True, "Kong itself would answer 200"


def test_every_gateway_response_carries_the_cors_headers():
    for kind, response in API.responses.items():
        assert response.headers.get("Access-Control-Allow-Origin") == "method.request.header.origin", kind
        assert response.headers.get("Vary") == "'Origin'", kind
        assert "X-Request-ID" in response.headers.get("Access-Control-Expose-Headers", ""), kind


def test_paths_no_route_serves_reach_the_catch_all_function_in_both_gateways():
    fallback = no_route_function(API)
    assert {(r.method, r.path) for r in fallback.routes} == {("ANY", "/{proxy+}"), ("ANY", "/KONGAPI/api/v1/{proxy+}")}
    assert fallback.public
    for method, path in [("GET", "/elsewhere"), ("PUT", "/KONGAPI/api/v1/products"), ("GET", "/KONGAPI/api/v1/x/y")]:
        matched = KONG.route_for(method, path)
        assert matched is not None
        assert matched.route.plugins["aws-lambda"]["function_name"] == fallback.function_name
        assert "jwt" not in matched.route.plugins


def test_the_template_routes_are_unique_and_under_the_public_prefix():
    """Every route is under the public prefix, except the catch-all and the internal (IAM) routes, which the
    contract places under /api/v1 (outside the prefix Kong's public routes live under)."""
    seen = set()
    for function in HTTP_FUNCTIONS.values():
        for route in function.routes:
            internal = function.iam and route.path.startswith("/api/v1/")
            internal_preflight = route.method == "OPTIONS" and route.path in IAM_PATHS
            assert (
                route.path.startswith("/KONGAPI/api/v1/") or route.path == "/{proxy+}" or internal or internal_preflight
            )
            assert (route.method, route.path) not in seen
            seen.add((route.method, route.path))


def test_internal_routes_are_iam_only_in_the_template_and_need_an_operator_token_behind_kong():
    """Contract "I": AWS_IAM behind API Gateway (the function requires the IAM caller: ``iam=True``), and
    behind Kong, which has no IAM, the jwt plugin and a token of the roles it allows (the operational routes:
    a service or admin token, ``allow=OPERATORS``, the metrics a service token; the /api/v1/internal/* routes
    name their own)."""
    # (the preflight's OPTIONS on those paths is no internal route: it answers anyone, as on every other path)
    internal = [
        f
        for f in HTTP_FUNCTIONS.values()
        if any(r.path.startswith("/api/v1/") and r.method != "OPTIONS" for r in f.routes)
    ]
    assert internal
    for function in internal:
        assert function.iam, function.logical_id
        assert not function.public, function.logical_id
        source = handler_file(function.handler).read_text()
        allow = re.search(r"lambda_entry\(\s*app,\s*allow=(\w+),\s*(?:service_key=True,\s*)?iam=True", source)
        assert allow is not None, function.logical_id
        if function.api_gateway_only:  # I + service key: API Gateway only, Kong has no route for it
            for route in function.routes:  # only the catch-all (the 404 of unknown paths) matches it
                matched = KONG.route_for(route.method, route.path)
                assert (
                    matched is None
                    or "{proxy+}" in str(matched.route.paths)
                    or matched.route.name.startswith("no-route")
                ), route.path
            continue
        # The metrics carry tenant figures: behind Kong only a service token (its tenant's), README "Operations".
        expected = "SERVICES" if any(r.path == "/api/v1/metrics" for r in function.routes) else "OPERATORS"
        assert allow.group(1) == expected, function.logical_id
        for route in function.routes:
            matched = KONG.route_for(route.method, route.path)
            assert matched is not None, route.path
            assert "jwt" in matched.route.plugins, route.path
    for function in HTTP_FUNCTIONS.values():
        if function.iam:
            assert all(r.path.startswith("/api/v1/") for r in function.routes), function.logical_id


def test_protected_functions_declare_the_roles_the_contract_gives():
    writers = {"POST", "PUT", "PATCH", "DELETE"}
    for function in HTTP_FUNCTIONS.values():
        source = handler_file(function.handler).read_text()
        allow = re.search(r"lambda_entry\(\s*app,\s*allow=(\w+)", source)
        if function.public:
            continue
        assert allow is not None, function.logical_id
        path, method = function.routes[0].path.removeprefix("/KONGAPI/api/v1/"), function.routes[0].method
        if function.api_gateway_only:
            # I + service key: IAM in API Gateway, then a service key (no token).
            assert allow.group(1) == "SERVICES", function.logical_id
            assert "service_key=True, iam=True" in source, function.logical_id
            continue
        if function.iam:
            continue  # test_internal_routes_are_iam_only_in_the_template_and_need_an_operator_token_behind_kong
        if path.startswith("services/"):
            # S: the service role and a service key.
            assert allow.group(1) == "SERVICES", function.logical_id
            assert "service_key=True" in source, function.logical_id
            continue
        if "/products" in function.routes[0].path:
            expected = "ADMINS" if function.routes[0].method in writers else "READERS"
            assert allow.group(1) == expected, function.logical_id
        if path.startswith(("users", "profile", "admin/")):
            # A: admin role; O (owner or admin, another user's id is 404) and U (self): any role, checked inside.
            admin_only = path.startswith("admin/") or (path == "users" and method in ("GET", "POST"))
            assert allow.group(1) == ("ADMINS" if admin_only else "ANY_ROLE"), function.logical_id


def test_api_gateway_passes_gzipped_bodies_as_binary():
    assert "*/*" in API.binary_media_types


def test_globals_carry_runtime_tracing_and_layers():
    function_globals = load_template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.11"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    assert len(function_globals["Layers"]) == 2


SECRETS_REFERENCE = "{{resolve:secretsmanager:${JwtSecretsArn}:SecretString}}"
# Public functions that sign the access tokens they issue.
SIGNERS = frozenset({"LoginFunction", "RefreshTokensFunction"})
# Functions behind IAM that verify a token they are given (no authorizer runs on an IAM route).
IAM_VERIFIERS = frozenset({"ValidateTokenFunction"})


def _is_secrets_reference(value: object) -> bool:
    return getattr(value, "tag", None) == "!Sub" and getattr(value, "value", None) == SECRETS_REFERENCE


def test_only_the_functions_that_verify_tokens_receive_the_signing_secrets():
    """The authorizer and the functions that sign tokens always; a protected function only in Kong mode (behind
    API Gateway only the authorizer verifies); any other public function and any function without routes never; no
    function through Globals."""
    template = load_template()
    assert "JWT_SECRETS" not in template["Globals"]["Function"]["Environment"]["Variables"]
    kong_mode = template["Conditions"]["KongMode"]
    assert (kong_mode.tag, kong_mode.value[1]) == ("!Equals", "kong")
    assert (kong_mode.value[0].tag, kong_mode.value[0].value) == ("!Ref", "GatewayMode")
    resources = template["Resources"]
    assert API.authorizer is not None
    for logical_id, function in API.functions.items():
        variables = resources[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
        secrets = variables.get("JWT_SECRETS")
        if logical_id == API.authorizer.function or logical_id in SIGNERS | IAM_VERIFIERS:
            assert _is_secrets_reference(secrets), logical_id
        elif function.public or not function.routes or function.api_gateway_only:  # public, not HTTP, or I + key
            assert secrets is None, logical_id
        else:
            assert getattr(secrets, "tag", None) == "!If", logical_id
            condition, when_kong, otherwise = secrets.value
            assert condition == "KongMode", logical_id
            assert _is_secrets_reference(when_kong), logical_id
            assert (otherwise.tag, otherwise.value) == ("!Ref", "AWS::NoValue"), logical_id


@pytest.mark.parametrize("function", list(API.functions.values()), ids=lambda f: f.logical_id)
def test_a_functions_own_rate_limits_are_valid_and_every_data_function_is_limited(function):
    """A RATE_LIMITS set in the template must parse (else the function's cold start fails); the functions
    that stay unlimited are the static ones outside the VPC (they cannot reach Redis)."""
    from storefront.domain.rate_limits import parse_windows

    if "RATE_LIMITS" in function.environment:
        parse_windows(function.environment["RATE_LIMITS"])
    source = (ROOT / "functions" / (function.handler.rsplit(".", 1)[0].replace(".", "/") + ".py")).read_text()
    unlimited = "rate_limited=False" in source
    outside_vpc = (
        load_template()["Resources"][function.logical_id]["Properties"].get("VpcConfig", {}).get("SubnetIds") == []
    )
    if "lambda_entry(" in source:
        # The internal (IAM) routes are not limited per client either: their callers are our own probes and
        # scrapers, and a readiness probe must report Redis down rather than be refused by a limiter in it.
        # The internal routes with a service key stay limited (a token validation is counted, see http/internal.py).
        assert unlimited == (outside_vpc or (function.iam and not function.api_gateway_only)), function.logical_id
