"""The local gateway's own pages (/openapi.json, Swagger UI at /docs) and the methods no route serves."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from localdev import docs
from localdev.events import HttpRequest
from localdev.gateway import Gateway
from localdev.kong import load_kong
from localdev.openapi import SPEC
from localdev.template import read_api


def request(method: str, path: str) -> HttpRequest:
    return HttpRequest(method, path, "", [("Host", "127.0.0.1")], b"")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/openapi.json", "application/json"),
        ("/docs", "text/html; charset=utf-8"),
        ("/docs/", "text/html; charset=utf-8"),
        ("/docs/start.js", "text/javascript; charset=utf-8"),
        ("/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("/docs/swagger-ui.css", "text/css; charset=utf-8"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_documentation_is_served_from_local_files(method, path, content_type):
    found = docs.document(method, path)
    assert found is not None
    assert found.content_type == content_type
    assert found.body


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/docs"), ("DELETE", "/openapi.json"), ("GET", "/docs/other.js"), ("GET", "/KONGAPI/api/v1/products")],
)
def test_other_requests_are_the_apis(method, path):
    assert docs.document(method, path) is None


def test_openapi_json_is_the_committed_document():
    found = docs.document("GET", "/openapi.json")
    assert found is not None
    assert found.body == SPEC.read_bytes()


def test_the_page_loads_nothing_from_elsewhere():
    page = docs.PAGE + docs.START
    assert "//" not in page.replace("http-equiv", "")
    assert set(re.findall(r'(?:src|href|url)[=:]\s*"([^"]+)"', page)) == {
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/start.js",
        "/openapi.json",
    }
    assert "validatorUrl: null" in docs.START
    assert "default-src 'self'" in docs.CONTENT_SECURITY_POLICY


def test_the_swagger_ui_assets_are_the_packaged_bundle():
    script = docs.document("GET", "/docs/swagger-ui-bundle.js")
    assert script is not None
    assert b"SwaggerUIBundle" in script.body


@pytest.mark.parametrize("mode", ["kong", "apigw"])
def test_the_gateway_serves_the_docs_in_either_mode_without_a_token(mode):
    gateway = Gateway(read_api(), load_kong(), mode)
    response = gateway.handle(request("GET", "/docs"))
    headers = dict(response.headers)
    assert response.status == 200
    assert headers["Content-Security-Policy"] == docs.CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b'id="swagger-ui"' in response.body


@pytest.mark.parametrize(
    ("accept_encoding", "compressed"),
    [("gzip", True), ("gzip, deflate, br", True), ("*", True), ("gzip;q=0", False), ("identity", False), (None, False)],
)
def test_the_spec_is_gzipped_for_a_client_that_takes_it(accept_encoding, compressed):
    """Attacker pass (issue 8): the 1.3 MB /openapi.json went out uncompressed to a client asking for gzip."""
    headers = [("Host", "127.0.0.1")] + ([("Accept-Encoding", accept_encoding)] if accept_encoding else [])
    response = Gateway(read_api(), load_kong(), "kong").handle(HttpRequest("GET", "/openapi.json", "", headers, b""))
    sent = dict(response.headers)
    assert (sent.get("Content-Encoding") == "gzip", sent["Vary"]) == (compressed, "Accept-Encoding")
    body = gzip.decompress(response.body) if compressed else response.body
    assert body == SPEC.read_bytes()


def test_kong_refuses_trace_as_nginx_does():
    response = Gateway(read_api(), load_kong(), "kong").handle(request("TRACE", "/KONGAPI/api/v1/products"))
    assert (response.status, json.loads(response.body)) == (405, {"message": "Method not allowed"})


def test_api_gateway_answers_a_method_no_route_has_with_its_missing_token_response():
    response = Gateway(read_api(), load_kong(), "apigw").handle(request("TRACE", "/KONGAPI/api/v1/products"))
    body = json.loads(response.body)
    assert (response.status, body["error"]["code"]) == (404, "BIZ_001")
