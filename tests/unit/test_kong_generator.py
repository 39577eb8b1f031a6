"""kong/kong.yml and the route table are generated from template.yaml, and only use fields Kong 3.x knows."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from localdev.generate_kong import kong_origins, outputs, path_regex, route_name
from localdev.kong.cors_plugin import _matches
from localdev.kong.declarative import SCHEMA
from localdev.paths import KONG_CONFIG, ROOT
from storefront.http.cors import policy


@pytest.mark.parametrize("path", list(outputs()), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_committed_file_is_what_the_generator_writes(path):
    assert path.read_text() == outputs()[path], f"{path.relative_to(ROOT)} is stale: run `make kong`"


def plugin_uses(data: dict[str, Any]) -> list[tuple[str, str]]:
    plugins = list(data.get("plugins") or [])
    for service in data.get("services") or []:
        plugins += service.get("plugins") or []
        for route in service.get("routes") or []:
            plugins += route.get("plugins") or []
    return [(p["name"], field) for p in plugins for field in (p.get("config") or {})]


KONG_YML = yaml.safe_load(KONG_CONFIG.read_text())


@pytest.mark.parametrize(("plugin", "field"), sorted(set(plugin_uses(KONG_YML))))
def test_every_plugin_field_kong_yml_uses_is_in_kongs_schema(plugin, field):
    assert field in SCHEMA["plugins"][plugin], f"{plugin}.{field} is not a field of Kong {SCHEMA['kong_version']}"


def test_the_schema_fixture_names_the_kong_release_it_was_read_from():
    assert re.fullmatch(r"3\.\d+\.\d+", SCHEMA["kong_version"])
    assert re.fullmatch(r"[0-9a-f]{40}", SCHEMA["kong_commit"])
    assert "localdev.kong.schema_fields" in SCHEMA["regenerate"]
    assert {"is_proxy_integration", "awsgateway_compatible", "log_type"} <= set(SCHEMA["plugins"]["aws-lambda"])


@pytest.mark.parametrize(
    ("template_path", "regex", "request_path", "captures"),
    [
        ("/KONGAPI/api/v1/products", "~/KONGAPI/api/v1/products$", "/KONGAPI/api/v1/products", {}),
        ("/KONGAPI/api/v1/products/{product_id}", None, "/KONGAPI/api/v1/products/p-1", {"product_id": "p-1"}),
        ("/KONGAPI/api/v1/{proxy+}", "~/KONGAPI/api/v1/(?<proxy>.+)$", "/KONGAPI/api/v1/a/b", {"proxy": "a/b"}),
        ("/KONGAPI/api/v1/users/{id}/profile", None, "/KONGAPI/api/v1/users/u/profile", {"id": "u"}),
    ],
)
def test_template_paths_become_anchored_kong_regexes_with_named_captures(template_path, regex, request_path, captures):
    generated = path_regex(template_path)
    if regex:
        assert generated == regex
    found = re.match(generated[1:].replace("(?<", "(?P<"), request_path)
    assert found is not None
    assert found.groupdict() == captures
    longer = re.match(generated[1:].replace("(?<", "(?P<"), request_path + "/more")
    assert (longer is not None) is template_path.endswith("+}"), "only a greedy parameter spans segments"


def test_route_names_come_from_the_function():
    assert route_name("ListProductsFunction") == "list-products"
    assert route_name("CorsPreflightFunction") == "cors-preflight"


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5173",
        "http://localhost",
        "http://localhost:80",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:65535",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:65536",
        "http://localhost:0",
        "http://localhost:08080",
        "https://localhost:5173",
        "http://localhost.evil.example",
        "http://evil.example",
        "http://127.0.0.2:3000",
        "http://127x0x0x1:3000",
        "https://shop.example.com",
        "https://shop.example.com:443",
        "https://shop.example.com:8443",
        "null",
    ],
)
@pytest.mark.parametrize("setting", ["http://localhost:*,http://127.0.0.1:*", "https://shop.example.com"])
def test_kong_and_the_functions_allow_the_same_origins(setting, origin):
    in_kong = any(_matches(entry, origin) for entry in kong_origins(setting))
    assert in_kong is (policy(setting).allowed_origin(origin) is not None)


def test_the_route_table_lists_every_api_path_and_its_methods():
    from storefront.http.routes import ROUTES

    assert ROUTES["/KONGAPI/api/v1/products/{product_id}"] == ("DELETE", "GET", "PATCH", "PUT")
    assert all(not path.endswith("{proxy+}") for path in ROUTES), "the preflight route itself is left out"
    assert json.loads(json.dumps(ROUTES))
