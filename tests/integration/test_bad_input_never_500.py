"""Whatever a client sends, the answer is a 2xx/4xx envelope, never a 500 (property-based, real SQLite)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localdev.runtime import LambdaContext, load_handler
from storefront import bootstrap
from tests.unit.handlers import event

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
PRODUCT_FIELDS = ["sku", "name", "description", "price", "stock", "status", "category", "version", "id"]
PRODUCT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        name: JSON_VALUES
        | st.fixed_dictionaries(
            {"amount": st.text(max_size=15) | st.decimals(allow_nan=False).map(str), "currency": st.text(max_size=4)}
        )
        for name in PRODUCT_FIELDS
    },
)
BODIES = JSON_VALUES.map(json.dumps) | PRODUCT_LIKE.map(json.dumps) | st.text(max_size=60)
QUERY_NAMES = st.sampled_from(
    ["limit", "offset", "sort", "order", "status", "category", "min_price", "max_price", "q", "fields", "x"]
)
QUERIES = st.dictionaries(QUERY_NAMES, st.text(max_size=20), max_size=5)
MEDIA_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "APPLICATION/JSON",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/merge-patch+json",
        "application/vnd.x+json",
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
    ]
)
ENCODINGS = st.sampled_from([None, "identity", "gzip", "br", "GZIP"])
NESTED = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n) | st.integers(
    min_value=1, max_value=200
).map(lambda n: '{"name":' * n + "1" + "}" * n)
RAW = (
    st.binary(max_size=80)
    | BODIES.map(str.encode)
    | BODIES.map(lambda b: b.encode("utf-16"))
    | NESTED.map(str.encode)
    | PRODUCT_LIKE.map(lambda d: json.dumps(d).encode("utf-32"))
)
ALL_ROUTES = [
    ("products.create_product.handler", "products/create_product.json"),
    ("products.replace_product.handler", "products/replace_product.json"),
    ("products.update_product.handler", "products/update_product.json"),
    ("products.get_product.handler", "products/get_product.json"),
    ("products.list_products.handler", "products/list_products.json"),
    ("products.delete_product.handler", "products/delete_product.json"),
]
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def products_on_sqlite(monkeypatch, sqlite_url) -> Iterator[None]:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    bootstrap.reset()
    yield
    bootstrap.reset()


def answer(handler: str, evt: dict[str, Any]) -> tuple[int, Any]:
    result = load_handler(handler)(evt, LambdaContext("property"))
    body = json.loads(result["body"]) if result.get("body") else None
    if body is not None:
        assert body["status_code"] == result["statusCode"]
    return result["statusCode"], body


@PROPERTY
@given(body=BODIES)
def test_any_body_to_create(products_on_sqlite, body):
    status, _ = answer("products.create_product.handler", event("products/create_product.json", body=body))
    assert status in (201, 400, 409, 422)


@PROPERTY
@given(body=BODIES, if_match=st.none() | st.text(max_size=12))
def test_any_body_and_if_match_to_patch_and_put(products_on_sqlite, body, if_match):
    for name, handler in [
        ("update_product", "products.update_product.handler"),
        ("replace_product", "products.replace_product.handler"),
    ]:
        evt = event(f"products/{name}.json", body=body)
        if if_match is not None:
            evt["headers"]["If-Match"] = if_match
            evt["multiValueHeaders"]["If-Match"] = [if_match]
        status, _ = answer(handler, evt)
        assert status in (200, 400, 404, 409, 422)


@PROPERTY
@given(query=QUERIES)
def test_any_query_to_list(products_on_sqlite, query):
    evt = event("products/list_products.json", queryStringParameters=query or None)
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    status, _ = answer("products.list_products.handler", evt)
    assert status in (200, 422)


@PROPERTY
@given(product_id=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s))
def test_any_id_to_get(products_on_sqlite, product_id):
    evt = event("products/get_product.json", pathParameters={"product_id": product_id})
    evt["path"] = f"/KONGAPI/api/v1/products/{product_id}"
    status, _ = answer("products.get_product.handler", evt)
    assert status in (200, 404, 422)


@PROPERTY
@given(
    route=st.sampled_from(ALL_ROUTES),
    raw=RAW,
    as_base64=st.booleans(),
    corrupt_base64=st.booleans(),
    media_type=MEDIA_TYPES,
    encoding=ENCODINGS,
)
def test_any_bytes_media_type_and_encoding_to_every_route(
    products_on_sqlite, route, raw, as_base64, corrupt_base64, media_type, encoding
):
    handler, sample = route
    evt = event(sample)
    if as_base64:
        evt["body"] = base64.b64encode(raw).decode() + ("!" if corrupt_base64 else "")
    else:
        evt["body"] = raw.decode("utf-8", "replace")
    evt["isBase64Encoded"] = as_base64
    headers = {k: v for k, v in (evt.get("headers") or {}).items() if k.lower() != "content-type"}
    if media_type is not None:
        headers["Content-Type"] = media_type
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    evt["headers"] = headers
    evt["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    status, _ = answer(handler, evt)
    assert status in (200, 201, 204, 400, 404, 409, 413, 415, 422)
