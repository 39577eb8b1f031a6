"""The API's documentation on the running gateway: /openapi.json, Swagger UI rendered in headless Chromium."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess

import pytest

from localdev.openapi import SPEC
from tests.e2e.conftest import Client, Reply

OPERATIONS = [
    (tag, op["operationId"])
    for item in json.loads(SPEC.read_text())["paths"].values()
    for op in item.values()
    for tag in op["tags"]
]


def fetch(client: Client, path: str) -> Reply:
    """GET a path of the gateway itself (outside the API prefix the client adds)."""
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    connection.close()
    return reply


def test_the_gateway_serves_the_committed_document(gateway):
    _, client = gateway
    reply = fetch(client, "/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.raw == SPEC.read_bytes()


def test_swagger_ui_and_its_assets_come_from_the_gateway(gateway):
    _, client = gateway
    page = fetch(client, "/docs")
    assert page.status == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/start.js"):
        assert asset.encode() in page.raw
        assert fetch(client, asset).status == 200


def test_a_method_no_gateway_serves_is_answered_by_the_gateway(gateway):
    """Not http.server's 501: Kong's catch-all route, API Gateway's missing-token response (both 404 BIZ_001)."""
    _, client = gateway
    reply = client.call("PROPFIND", "/products")
    assert (reply.status, reply.code) == (404, "BIZ_001")


def chromium() -> str:
    """Debian's chromium: CI installs it (.ci/run); a machine without it fails this test, never skips it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does)")
    return found


@pytest.mark.parametrize("gateway", ["kong"], indirect=True)
def test_swagger_ui_renders_every_operation_in_headless_chromium(gateway, tmp_path):
    _, client = gateway
    run = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"http://127.0.0.1:{client.port}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Storefront API" in dom
    assert "Failed to load API definition" not in dom
    missing = [op for tag, op in OPERATIONS if f'id="operations-{tag}-{op}"' not in dom]
    assert missing == [], f"operations Swagger UI did not render: {missing}"


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_the_docs_pages_carry_the_security_headers(gateway, path):
    _, client = gateway
    reply = fetch(client, path)
    assert reply.status == 200
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["strict-transport-security"].startswith("max-age=")
