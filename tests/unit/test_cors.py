"""CORS as the contract gives it: the origin rules, the headers of every response, the 204 preflight."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import ValidationError

from storefront.config import CorsSettings
from storefront.http.cors import ALLOW_HEADERS, EXPOSE_HEADERS, policy
from tests.unit.handlers import call, event, set_header

LOCAL = policy("http://localhost:*,http://127.0.0.1:*")
PREFLIGHT = "cors.preflight.handler"
PRODUCT_PATH = "/KONGAPI/api/v1/products/5a1d2c4e-0001-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("setting", "origin", "echoed"),
    [
        ("http://localhost:*", "http://localhost:5173", "http://localhost:5173"),
        ("http://localhost:*", "http://localhost", "http://localhost"),
        ("http://localhost:*", "http://localhost:80", "http://localhost"),
        ("http://localhost:*", "https://localhost:5173", None),
        ("http://localhost:*", "http://localhost.evil.example:5173", None),
        ("http://localhost:*", "http://127.0.0.1:5173", None),
        ("http://localhost:*", "http://localhost:5173/path", None),
        ("http://localhost:*", "null", None),
        ("http://localhost:*", None, None),
        ("https://shop.example.com", "https://shop.example.com", "https://shop.example.com"),
        ("https://shop.example.com", "https://shop.example.com:443", "https://shop.example.com"),
        ("https://shop.example.com", "https://shop.example.com:8443", None),
        ("https://shop.example.com", "http://shop.example.com", None),
        ("https://shop.example.com", "https://SHOP.example.com", None),
        ("http://localhost:3000", "http://localhost:3001", None),
        ("", "http://localhost:5173", None),
        ("http://127.0.0.1:*", "http://127.0.0.1:65535", "http://127.0.0.1:65535"),
        ("http://127.0.0.1:*", "http://127.0.0.1:1", "http://127.0.0.1:1"),
        ("http://127.0.0.1:*", "http://127.0.0.1:99999", None),
        ("http://127.0.0.1:*", "http://127.0.0.1:65536", None),
        ("http://127.0.0.1:*", "http://127.0.0.1:0", None),
        ("http://127.0.0.1:*", "http://127.0.0.1:05173", None),
        ("http://127.0.0.1:*", "http://127.0.0.1:", None),
        ("http://127.0.0.1:*", "http://127.0.0.1:*", None),
        ("http://localhost:*", "http://-localhost:5173", None),
        ("http://localhost:*", "http://local..host", None),
        ("http://[::1]:*", "http://[::1]:8080", "http://[::1]:8080"),
        ("http://[::1]:*", "http://[:::::]:8080", None),
        ("http://localhost:*", "javascript://localhost", None),
    ],
)
def test_origin_rules(setting, origin, echoed):
    assert policy(setting).allowed_origin(origin) == echoed


@pytest.mark.parametrize(
    "setting",
    [
        "localhost:3000",
        "http://localhost:*/x",
        "ftp://a.example",
        "*",
        "http://*",
        "http://localhost:70000",
        "http://[x]",
    ],
)
def test_a_malformed_setting_stops_the_cold_start(monkeypatch, setting):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", setting)
    with pytest.raises(ValidationError, match="is not an origin"):
        CorsSettings()


def test_every_response_varies_on_origin_and_only_allowed_origins_get_the_rest():
    allowed = LOCAL.response_headers("http://127.0.0.1:3000", ["Accept-Encoding"])
    assert allowed == {
        "Vary": ["Accept-Encoding, Origin"],
        "Access-Control-Allow-Origin": ["http://127.0.0.1:3000"],
        "Access-Control-Expose-Headers": [", ".join(EXPOSE_HEADERS)],
    }
    assert LOCAL.response_headers("http://evil.example") == {"Vary": ["Origin"]}
    assert "Access-Control-Allow-Credentials" not in allowed


def preflight(path: str = PRODUCT_PATH, origin: str | None = "http://localhost:5173"):
    evt = event("cors/preflight.json", path=path)
    evt["headers"].pop("Origin")
    evt["multiValueHeaders"].pop("Origin")
    if origin:
        set_header(evt, "Origin", origin)
    return call(PREFLIGHT, evt)


def test_a_preflight_answers_204_with_the_routes_methods_and_no_authentication():
    status, headers, body = preflight()
    assert (status, body) == (204, None)
    assert headers["Access-Control-Allow-Origin"] == ["http://localhost:5173"]
    assert headers["Access-Control-Allow-Methods"] == ["DELETE, GET, PATCH, PUT"]
    assert headers["Access-Control-Allow-Headers"] == [", ".join(ALLOW_HEADERS)]
    assert headers["Access-Control-Max-Age"] == ["3600"]
    assert headers["Vary"] == ["Origin"]
    assert preflight("/KONGAPI/api/v1/products")[1]["Access-Control-Allow-Methods"] == ["GET, POST"]


def test_a_preflight_from_a_disallowed_origin_gets_no_access_control_headers():
    status, headers, _ = preflight(origin="http://evil.example")
    assert status == 204
    assert not [name for name in headers if name.lower().startswith("access-control-")]


def test_a_preflight_for_a_path_no_route_serves_is_404():
    status, _, body = preflight("/KONGAPI/api/v1/nothing-here")
    assert (status, body["error"]["code"]) == (404, "BIZ_001")


def test_a_refused_request_carries_the_cors_headers_so_a_browser_can_read_it():
    evt = event("products/get_product.json")
    evt["requestContext"].pop("authorizer")
    set_header(evt, "Origin", "http://localhost:5173")
    status, headers, _ = call("products.get_product.handler", evt)
    assert status == 401
    assert headers["Access-Control-Allow-Origin"] == ["http://localhost:5173"]
    assert "X-Request-ID" in headers["Access-Control-Expose-Headers"][0]


def test_api_gateway_responses_echo_the_request_origin_and_send_none_without_one():
    from localdev.template import read_api

    unauthorized = read_api().responses["UNAUTHORIZED"]
    echoed = dict(unauthorized.render_headers({"Origin": "http://any.example"}, {}, {}))
    assert echoed["Access-Control-Allow-Origin"] == "http://any.example"
    assert echoed["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in dict(unauthorized.render_headers({}, {}, {}))


def test_every_api_gateway_response_exposes_what_the_functions_expose():
    """API Gateway's own refusals are static headers in the template: they expose the same list as the functions
    (Content-Disposition included: a browser reads a CSV report's file name only when it is exposed)."""
    from localdev.template import read_api

    assert "Content-Disposition" in EXPOSE_HEADERS
    for name, response in read_api().responses.items():
        rendered = dict(response.render_headers({"Origin": "http://localhost:3000"}, {}, {}))
        assert rendered["Access-Control-Expose-Headers"] == ", ".join(EXPOSE_HEADERS), name


def test_a_csv_report_exposes_its_file_name_to_an_allowed_origin_only(monkeypatch):
    from localdev.runtime import LambdaContext, load_handler
    from storefront import bootstrap
    from tests.fakes import FakeReportRepository, FakeReports

    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    bootstrap.provide(reports=FakeReports(FakeReportRepository(UUID(int=1))).ports)
    for origin, exposed in (("http://localhost:5173", True), ("https://evil.example", False)):
        evt = set_header(set_header(event("admin/get_reports.json"), "Accept", "text/csv"), "Origin", origin)
        result = load_handler("admin.get_reports.handler")(evt, LambdaContext("test"))
        status, headers = result["statusCode"], result["multiValueHeaders"]
        assert status == 200
        assert headers["Content-Disposition"][0].startswith("attachment; filename=")
        names = {h.strip() for h in headers.get("Access-Control-Expose-Headers", [""])[0].split(",")}
        assert ("Content-Disposition" in names) is exposed


def test_every_api_gateway_response_is_never_stored_and_carries_the_security_headers():
    """Attacker pass: API Gateway's own 401s (a logout without a token among them) lacked Cache-Control: no-store,
    which every refusal of the functions sends. Content-Security-Policy cannot be one of these static values: its
    'none' would need a quote inside API Gateway's single-quoted literal (README, known limits)."""
    from localdev.template import read_api

    for name, response in read_api().responses.items():
        rendered = dict(response.render_headers({}, {}, {}))
        assert rendered["Cache-Control"] == "no-store", name
        assert rendered["X-Content-Type-Options"] == "nosniff", name
        assert rendered["Strict-Transport-Security"].startswith("max-age="), name
