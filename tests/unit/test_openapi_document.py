"""docs/openapi.json: fresh, a valid OpenAPI 3.1 document, one operation per template route, and true to
the JSON the envelope writes (checked with the document's own schemas)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from localdev.openapi import SPEC, http_functions, tidy
from localdev.paths import ROOT
from localdev.template import read_api
from storefront.application.queries import Page
from storefront.domain.errors import (
    AppError,
    Conflict,
    ErrorCode,
    FieldError,
    NotFound,
    PayloadTooLarge,
    TokenExpired,
    ValidationFailed,
)
from storefront.domain.products import Product
from storefront.http.envelope import failure, ok, pagination
from storefront.http.internal_routes import INTERNAL as INTERNAL_WITH_KEY
from storefront.http.openapi import (
    ALWAYS,
    BEARER,
    ERROR_MEANINGS,
    INTERNAL,
    PROTECTED,
    SERVICE,
    WITH_BODY,
    Meta,
    Pagination,
)
from storefront.http.products import ProductIn, ProductOut, present
from storefront.http.status import STATUS_BY_CODE
from tests.conftest import details

DOCUMENT = json.loads(SPEC.read_text())
OPERATIONS = {(method.upper(), path): op for path, item in DOCUMENT["paths"].items() for method, op in item.items()}
FUNCTIONS = http_functions()


def conforms(schema_name: str, instance: object) -> list[str]:
    """Why ``instance`` breaks the document's schema ``schema_name`` (empty: it conforms)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": DOCUMENT["components"]}
    return [e.message for e in Draft202012Validator(schema).iter_errors(instance)]


def a_product() -> Product:
    return Product.create(uuid4(), details(), "admin-1", datetime(2026, 11, 24, 10, 0, tzinfo=UTC))


def body_of(response) -> Any:
    return json.loads(response.body)


def test_the_committed_document_is_what_the_handlers_say(tmp_path):
    fresh = tmp_path / "openapi.json"
    run = subprocess.run(
        [sys.executable, "-m", "localdev.openapi", "--output", str(fresh)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert fresh.read_text() == SPEC.read_text(), "docs/openapi.json is stale: run `make openapi` and commit it"


def test_the_check_fails_on_a_stale_document(tmp_path):
    stale = tmp_path / "openapi.json"
    stale.write_text(SPEC.read_text().replace('"Get a product"', '"Fetch a product"'))
    run = subprocess.run(
        [sys.executable, "-m", "localdev.openapi", "--check", "--output", str(stale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert "stale" in run.stderr


def test_it_is_a_valid_openapi_3_1_document():
    assert DOCUMENT["openapi"].startswith("3.1")
    validate(DOCUMENT)


def test_every_template_route_is_one_operation_and_there_are_no_others():
    routes = {(route.method, route.path) for function in FUNCTIONS for route in function.routes}
    assert set(OPERATIONS) == routes


def test_operation_ids_are_unique():
    ids = [op["operationId"] for op in OPERATIONS.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_every_operation_says_what_it_does_who_may_call_it_and_how_it_fails(function):
    for route in function.routes:
        op = OPERATIONS[(route.method, route.path)]
        assert all(op.get(key) for key in ("summary", "description", "tags")), route
        service = route.path.startswith("/KONGAPI/api/v1/services/")
        internal = INTERNAL_WITH_KEY if function.api_gateway_only else INTERNAL
        expected = internal if function.iam else SERVICE if service else BEARER
        assert op.get("security") == (None if function.public else expected)
        statuses = {int(s) for s in op["responses"]}
        assert set(ALWAYS) <= statuses
        assert function.public or set(PROTECTED) <= statuses
        assert route.method not in ("POST", "PUT", "PATCH") or set(WITH_BODY) <= statuses
        assert "{" not in route.path or 404 in statuses
        for status, response in op["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if int(status) == 200 and "text/plain" in response.get("content", {}):  # the Prometheus exposition
                assert response["content"]["text/plain"]["schema"] == {"type": "string"}, route
                assert response["headers"]["X-Request-ID"]["required"] is True
                continue
            if int(status) >= 400:
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (route, status)
            elif int(status) in (204, 304):
                assert "content" not in response, (route, status)
            else:
                assert schema["$ref"].endswith("Envelope"), (route, status)
                assert response["headers"]["X-Request-ID"]["required"] is True


def test_every_error_status_names_every_code_it_stands_for():
    for code, status in STATUS_BY_CODE.items():
        assert code.value in ERROR_MEANINGS[status], (code, status)
    assert "VAL_003" in ERROR_MEANINGS[413]


def test_a_product_as_presented_has_exactly_the_documented_fields():
    data = present(a_product())
    assert set(data) == set(ProductOut.model_fields)
    assert conforms("ProductOut", data) == []


@pytest.mark.parametrize(
    ("schema", "make"),
    [
        ("ProductEnvelope", lambda p: ok(present(p), 201)),
        ("ProductSelectionEnvelope", lambda p: ok(present(p))),
        ("ProductSelectionEnvelope", lambda p: ok(present(p, ("sku", "price")))),
        (
            "ProductPageEnvelope",
            lambda p: ok([present(p, ("name",))], page=Page([p], 20, 0, 1, True, False, False, None)),
        ),
        ("ProductPageEnvelope", lambda p: ok([], page=Page([], 100, None, 0, True, False, True, None))),
    ],
)
def test_success_envelopes_conform_to_their_schema(schema, make):
    assert conforms(schema, body_of(make(a_product()))) == []


def test_a_selection_of_fields_is_not_a_whole_product():
    assert conforms("ProductEnvelope", body_of(ok(present(a_product(), ("sku",))))) != []


def test_meta_and_pagination_have_exactly_the_documented_fields():
    page = Page([a_product()], 20, 0, 1, True, False, False, None)
    body = body_of(ok([], page=page))
    assert set(body["meta"]) - {"pagination"} == set(Meta.model_fields)
    assert set(pagination(page)) == set(Pagination.model_fields)


@pytest.mark.parametrize(
    "error",
    [
        AppError(),
        NotFound(),
        TokenExpired(),
        PayloadTooLarge(),
        Conflict("Version conflict", details={"reason": "changed", "current_version": 3}),
        ValidationFailed([FieldError("price.amount", ErrorCode.OUT_OF_RANGE, "must be > 0")]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_error_envelopes_conform_to_the_error_schema(error):
    assert conforms("ErrorEnvelope", body_of(failure(error))) == []


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_fits_the_error_schema(code):
    error = AppError("message")
    error.code = code
    assert conforms("ErrorEnvelope", body_of(failure(error))) == []


@pytest.mark.parametrize("kind", sorted(read_api().responses))
def test_api_gateway_refusals_conform_to_the_error_schema(kind):
    """The template's gateway responses, rendered as API Gateway renders them, are error envelopes too."""
    context = {
        "requestTime": "24/Nov/2026:10:00:00 +0000",
        "requestId": "c0ffee00-0000-4000-8000-000000000001",
        "xrayTraceId": "",
        "authorizer.error_code": "AUTH_002",
        "authorizer.error_message": "Token has expired",
    }
    template = read_api().responses[kind].template
    body = re.sub(r"\$context\.([\w.]+)", lambda m: context[m.group(1)], template)
    assert conforms("ErrorEnvelope", json.loads(body)) == []


def test_tidy_drops_empty_content_and_schemas_no_one_refers_to():
    document: dict[str, Any] = {
        "paths": {"/a": {"get": {"responses": {"204": {"description": "x", "content": {}}}}}},
        "components": {
            "schemas": {
                "Used": {"$ref": "#/components/schemas/UsedByUsed"},
                "UsedByUsed": {"type": "string"},
                "Unused": {"$ref": "#/components/schemas/UsedOnlyByUnused"},
                "UsedOnlyByUnused": {"type": "string"},
            }
        },
    }
    document["paths"]["/a"]["get"]["responses"]["200"] = {
        "content": {"a/b": {"schema": {"$ref": "#/components/schemas/Used"}}}
    }
    tidied = tidy(document)
    assert "content" not in tidied["paths"]["/a"]["get"]["responses"]["204"]
    assert set(tidied["components"]["schemas"]) == {"Used", "UsedByUsed"}


VALID_BODY = {"sku": "TEA-1", "name": "Sencha", "price": {"amount": "8.90", "currency": "EUR"}, "stock": 5}


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({}, True),
        ({"sku": "x" * 64, "name": "n" * 200, "description": "d" * 4000, "category": "c" * 100}, True),
        ({"stock": 0, "price": {"amount": "9999999999.99", "currency": "EUR"}}, True),
        ({"sku": ""}, False),
        ({"sku": "   "}, False),
        ({"sku": "x" * 65}, False),
        ({"name": "n" * 201}, False),
        ({"description": "d" * 4001}, False),
        ({"category": ""}, False),
        ({"category": "c" * 101}, False),
        ({"stock": -1}, False),
        ({"stock": 2_147_483_648}, False),
        ({"price": {"amount": "8.901", "currency": "EUR"}}, False),
        ({"price": {"amount": "-8.90", "currency": "EUR"}}, False),
    ],
)
def test_the_documented_body_rules_are_the_domains(change, valid):
    """The request schema accepts what the domain accepts (only an amount of 0 gets past the schema alone)."""
    body = {**VALID_BODY, **change}
    assert (conforms("ProductIn", body) == []) is valid
    try:
        ProductIn.model_validate(body).to_details().validated()
        accepted = True
    except (ValidationFailed, ValueError):
        accepted = False
    assert accepted is valid


def test_every_patch_body_lists_json_merge_patch_beside_json_with_one_schema():
    """Outside pass: PATCH bodies listed only application/json while application/merge-patch+json is accepted."""
    patches = [item["patch"] for item in DOCUMENT["paths"].values() if "patch" in item]
    assert patches
    for operation in patches:
        content = operation["requestBody"]["content"]
        assert set(content) == {"application/json", "application/merge-patch+json"}, operation["operationId"]
        assert content["application/merge-patch+json"] == content["application/json"]
