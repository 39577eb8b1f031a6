"""The product handlers end to end in-process: sample events in, envelopes out, fake ports behind."""

import base64
import gzip
import json
from uuid import uuid4

import pytest

from localdev.runtime import LambdaContext, load_handler
from storefront import bootstrap
from storefront.application.ports import CatalogPorts
from tests.unit.handlers import call, event, set_header

TENANT = "00000000-0000-4000-8000-000000000001"
CREATE = "products.create_product.handler"
GET = "products.get_product.handler"
LIST = "products.list_products.handler"
PUT = "products.replace_product.handler"
PATCH = "products.update_product.handler"
DELETE = "products.delete_product.handler"


def created(fake, **body_changes):
    status, headers, body = call(CREATE, event("products/create_product.json", **body_changes))
    assert status == 201, body
    return body["data"], headers


def with_id(name, product_id, **changes):
    evt = event(name, **changes)
    evt["path"] = evt["path"].rsplit("/", 1)[0] + f"/{product_id}"
    evt["pathParameters"] = {"product_id": product_id}
    return evt


def as_role(evt, role):
    evt["requestContext"]["authorizer"]["role"] = role
    return evt


def test_create_answers_201_with_location_etag_and_the_envelope(fake):
    product, headers = created(fake)
    assert headers["Location"] == [f"/KONGAPI/api/v1/products/{product['id']}"]
    assert headers["ETag"] == ['"v1"']
    assert product["price"] == {"amount": "14.90", "currency": "EUR"}
    assert product["created_by"] == product["updated_by"] == "9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0001"


def test_the_envelope_carries_ids_and_security_headers(fake):
    status, headers, body = call(LIST, event("products/list_products.json"))
    assert status == 200
    assert body["success"] is True
    assert body["status_code"] == 200
    assert body["meta"]["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert headers["X-Request-ID"] == ["c6af9ac6-7b61-11e6-9a41-93e8deadbeef"]
    assert headers["X-Content-Type-Options"] == ["nosniff"]
    assert "Strict-Transport-Security" in headers
    assert "Content-Security-Policy" in headers
    assert body["meta"]["pagination"] == {
        "limit": 2,
        "offset": 0,
        "total": 0,
        "total_exact": True,
        "has_next": False,
        "has_prev": False,
        "next_cursor": None,
    }


def test_api_gateway_mode_ignores_a_client_sent_kong_request_id(fake):
    evt = event("products/list_products.json")
    set_header(evt, "X-Kong-Request-ID", "client-chosen")
    _, headers, body = call(LIST, evt)
    assert headers["X-Request-ID"] == ["c6af9ac6-7b61-11e6-9a41-93e8deadbeef"]
    assert body["meta"]["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_get_sets_etag_and_x_cache_and_answers_304(fake):
    product, _ = created(fake)
    evt = with_id("products/get_product.json", product["id"])
    first = call(GET, evt)
    second = call(GET, evt)
    assert (first[1]["X-Cache"], second[1]["X-Cache"]) == (["MISS"], ["HIT"])
    set_header(evt, "If-None-Match", '"v1"')
    status, headers, body = call(GET, evt)
    assert (status, body, headers["ETag"]) == (304, None, ['"v1"'])


def test_get_with_fields_returns_only_those(fake):
    product, _ = created(fake)
    evt = with_id("products/get_product.json", product["id"], queryStringParameters={"fields": "id,sku"})
    _, _, body = call(GET, evt)
    assert body["data"] == {"id": product["id"], "sku": "CUP-100"}


def test_put_with_if_match_then_stale_if_match_conflicts(fake):
    product, _ = created(fake)
    evt = with_id("products/replace_product.json", product["id"])
    set_header(evt, "If-Match", '"v1"')
    status, headers, body = call(PUT, evt)
    assert (status, body["data"]["version"], headers["ETag"]) == (200, 2, ['"v2"'])
    status, _, body = call(PUT, evt)
    assert (status, body["error"]["code"]) == (409, "BIZ_002")


def test_patch_with_body_version(fake):
    product, _ = created(fake)
    status, _, body = call(
        PATCH, with_id("products/update_product.json", product["id"], body={"stock": 7, "version": 1})
    )
    assert (status, body["data"]["stock"], body["data"]["name"]) == (200, 7, "Stoneware cup")
    status, _, body = call(
        PATCH, with_id("products/update_product.json", product["id"], body={"stock": 8, "version": 1})
    )
    assert (status, body["error"]["code"]) == (409, "BIZ_002")


@pytest.mark.parametrize(
    ("if_match", "body_version"),
    [('"v01"', None), ('"v1"', 2), ('"v2"', 1), ('"v0"', None)],
    ids=["leading zero", "If-Match current, body stale", "If-Match stale, body current", "v0"],
)
def test_if_match_compares_strongly_and_must_agree_with_the_body(fake, if_match, body_version):
    """Outside pass: a weak tag, a tag we never write and an If-Match the body's version contradicts each
    wrote a change; each is now refused as stale and changes nothing."""
    product, _ = created(fake)
    body: dict = {"stock": 9} if body_version is None else {"stock": 9, "version": body_version}
    evt = set_header(with_id("products/update_product.json", product["id"], body=body), "If-Match", if_match)
    status, _, answer = call(PATCH, evt)
    assert (status, answer["error"]["code"], answer["error"]["details"]["current_version"]) == (409, "BIZ_002", 1)
    status, _, answer = call(GET, with_id("products/get_product.json", product["id"]))
    assert (answer["data"]["version"], answer["data"]["stock"]) == (1, product["stock"])


def test_a_weak_if_match_is_refused_saying_why_and_changes_nothing(fake):
    """Outside pass: W/"v1" answered "changed by someone else"; a weak validator never matches If-Match."""
    product, _ = created(fake)
    evt = set_header(with_id("products/update_product.json", product["id"], body={"stock": 9}), "If-Match", 'W/"v1"')
    status, _, answer = call(PATCH, evt)
    assert (status, answer["error"]["code"], answer["error"]["message"]) == (
        409,
        "BIZ_002",
        "A weak ETag cannot be used in If-Match",
    )
    status, _, answer = call(GET, with_id("products/get_product.json", product["id"]))
    assert (answer["data"]["version"], answer["data"]["stock"]) == (1, product["stock"])


def test_a_body_of_many_unknown_fields_lists_fifty_errors_and_counts_the_rest(fake):
    """Outside pass: 131,000 unknown keys answered 131,000 field errors (8.5 MB); now more than MAX_MEMBERS names
    are refused before validation, and up to it fifty errors are listed."""
    body = {"sku": "X-1", "name": "n", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1}
    body.update({f"unknown_{n}": n for n in range(250)})
    status, _, answer = call(CREATE, event("products/create_product.json", body=body))
    details = answer["error"]["details"]
    assert (status, answer["error"]["code"], len(details["errors"]), details["errors_omitted"]) == (
        422,
        "VAL_002",
        50,
        200,
    )
    body.update({f"unknown_{n}": n for n in range(1000)})
    status, _, answer = call(CREATE, event("products/create_product.json", body=body))
    assert (status, answer["error"]["code"], answer["error"]["details"]["field"]) == (422, "VAL_002", "body")


def test_delete_answers_204_without_body_then_404(fake):
    product, _ = created(fake)
    status, _, body = call(DELETE, with_id("products/delete_product.json", product["id"]))
    assert (status, body) == (204, None)
    status, _, body = call(GET, with_id("products/get_product.json", product["id"]))
    assert (status, body["error"]["code"]) == (404, "BIZ_001")


@pytest.mark.parametrize("handler", [CREATE, PUT, PATCH, DELETE])
def test_users_may_not_write(fake, handler):
    name = {CREATE: "create", PUT: "replace", PATCH: "update", DELETE: "delete"}[handler]
    evt = as_role(event(f"products/{name}_product.json", body="{not json"), "user")
    status, _, body = call(handler, evt)
    assert (status, body["error"]["code"]) == (403, "AUTH_003")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ("{not json", 400, "VAL_001", "body"),
        ({"name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1}, 400, "VAL_001", "sku"),
        (
            {"sku": "A", "name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": "many"},
            422,
            "VAL_002",
            "stock",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": 1.5, "currency": "EUR"}, "stock": 1},
            422,
            "VAL_002",
            "price.amount",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": "1.00", "currency": "euro"}, "stock": 1},
            422,
            "VAL_002",
            "price.currency",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1, "status": "gone"},
            422,
            "VAL_002",
            "status",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1, "owner": "me"},
            422,
            "VAL_002",
            "owner",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": "-5", "currency": "EUR"}, "stock": 1},
            422,
            "VAL_003",
            "price.amount",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": "1.005", "currency": "EUR"}, "stock": 1},
            422,
            "VAL_003",
            "price.amount",
        ),
        (
            {"sku": "A", "name": "x" * 201, "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1},
            422,
            "VAL_003",
            "name",
        ),
        (
            {"sku": "A", "name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": -1},
            422,
            "VAL_003",
            "stock",
        ),
        ([1, 2], 422, "VAL_002", "body"),
    ],
)
def test_bad_bodies_get_their_contract_code(fake, body, status, code, field):
    got_status, _, got = call(CREATE, event("products/create_product.json", body=body))
    assert (got_status, got["error"]["code"], got["error"]["details"]["field"]) == (status, code, field)
    assert fake.repository.rows == {}


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"limit": "101"}, "VAL_003", "limit"),
        ({"limit": "0"}, "VAL_003", "limit"),
        ({"limit": "ten"}, "VAL_002", "limit"),
        ({"offset": "-1"}, "VAL_003", "offset"),
        ({"sort": "password"}, "VAL_002", "sort"),
        ({"order": "sideways"}, "VAL_002", "order"),
        ({"fields": "id,secret"}, "VAL_002", "fields"),
        ({"status": "sold"}, "VAL_002", "status"),
        ({"min_price": "cheap"}, "VAL_002", "min_price"),
        ({"offset": "10001"}, "VAL_003", "offset"),
        ({"cursor": "garbage"}, "VAL_002", "cursor"),
        ({"cursor": "x" * 2049}, "VAL_003", "cursor"),
        ({"cursor": "garbage", "offset": "5"}, "VAL_002", "offset"),
        ({"q": "a b c d e f g h i"}, "VAL_003", "q"),
    ],
)
def test_bad_queries_get_their_contract_code(fake, query, code, field):
    status, _, body = call(
        LIST,
        event(
            "products/list_products.json",
            queryStringParameters=query,
            multiValueQueryStringParameters={k: [v] for k, v in query.items()},
        ),
    )
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (422, code, field)


def test_a_malformed_id_is_a_format_error_and_an_unknown_one_not_found(fake):
    status, _, body = call(GET, with_id("products/get_product.json", "not-a-uuid"))
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (422, "VAL_002", "product_id")
    status, _, body = call(GET, with_id("products/get_product.json", str(uuid4())))
    assert (status, body["error"]["code"]) == (404, "BIZ_001")


def test_an_oversize_body_is_413(fake):
    status, _, body = call(CREATE, event("products/create_product.json", body="x" * (1024 * 1024 + 1)))
    assert (status, body["error"]["code"]) == (413, "VAL_003")


def test_large_responses_are_gzipped_when_accepted(fake):
    for n in range(6):
        created(
            fake,
            body={"sku": f"S-{n}", "name": f"Item {n}", "price": {"amount": "2.00", "currency": "EUR"}, "stock": 1},
        )
    evt = event("products/list_products.json", queryStringParameters=None, multiValueQueryStringParameters=None)
    set_header(evt, "Accept-Encoding", "gzip, deflate")
    result = load_handler(LIST)(evt, LambdaContext("t"))
    assert result["isBase64Encoded"] is True
    assert result["multiValueHeaders"]["Content-Encoding"] == ["gzip"]
    body = json.loads(gzip.decompress(base64.b64decode(result["body"])))
    assert len(body["data"]) == 6


def test_a_failure_inside_answers_500_without_detail(fake):
    def broken_unit_of_work():
        raise RuntimeError("ORA-00942: table or view does not exist SELECT secret FROM x")

    bootstrap.provide(
        catalog=CatalogPorts(unit_of_work=broken_unit_of_work, cache=fake.cache, totals=fake.totals, clock=fake.clock)
    )
    status, _, body = call(LIST, event("products/list_products.json"))
    assert (status, body["error"]["code"], body["error"]["message"]) == (500, "SYS_001", "Internal error")
    assert "ORA" not in json.dumps(body)


def test_other_tenants_products_are_invisible(fake):
    product, _ = created(fake)
    evt = with_id("products/get_product.json", product["id"])
    evt["requestContext"]["authorizer"]["tenant_id"] = str(uuid4())
    status, _, _ = call(GET, evt)
    assert status == 404


def listing(**query):
    evt = event(
        "products/list_products.json",
        queryStringParameters=query,
        multiValueQueryStringParameters={k: [v] for k, v in query.items()},
    )
    return call(LIST, evt)


def test_pages_by_cursor_until_next_cursor_is_null(fake):
    made = [
        created(
            fake,
            body={
                "sku": f"C-{n}",
                "name": "Same",
                "price": {"amount": f"{n % 2 + 1}.00", "currency": "EUR"},
                "stock": 1,
            },
        )[0]["id"]
        for n in range(5)
    ]
    seen, pages, cursor = [], [], None
    while True:
        query = {"limit": "2", "sort": "price", "order": "asc", **({"cursor": cursor} if cursor else {})}
        status, _, body = listing(**query)
        assert status == 200, body
        pages.append(body["meta"]["pagination"])
        seen += [p["id"] for p in body["data"]]
        cursor = body["meta"]["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))
    assert [(p["offset"], p["has_prev"], p["has_next"]) for p in pages] == [
        (0, False, True),
        (None, True, True),
        (None, True, False),
    ]
    assert all((p["total"], p["total_exact"]) == (5, True) for p in pages)


def test_a_cursor_of_another_sort_is_val_002(fake):
    for n in range(3):
        created(fake, body={"sku": f"F-{n}", "name": "x", "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1})
    _, _, first = listing(limit="1", sort="price")
    status, _, body = listing(limit="1", sort="stock", cursor=first["meta"]["pagination"]["next_cursor"])
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (422, "VAL_002", "cursor")


def test_q_searches_whole_name_words(fake):
    for n, name in enumerate(["Cast-iron tea pot", "Teapot stand", "Copper kettle", "Tea tray"]):
        created(fake, body={"sku": f"Q-{n}", "name": name, "price": {"amount": "1.00", "currency": "EUR"}, "stock": 1})
    _, _, body = listing(q="TEA", sort="name", order="asc", fields="name")
    assert body["data"] == [{"name": "Cast-iron tea pot"}, {"name": "Tea tray"}]
    _, _, body = listing(q="tea pot", fields="name")
    assert body["data"] == [{"name": "Cast-iron tea pot"}]


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        ("12.50", 200, None),
        ("0", 200, None),
        ("123456789012", 200, None),
        ("-1", 422, "VAL_003"),
        ("1234567890123", 422, "VAL_003"),
        ("12.5", 200, None),
        ("12.505", 422, "VAL_003"),  # money has at most 2 decimals
        ("0.0000000001", 422, "VAL_003"),
        ("1e3", 422, "VAL_002"),
        (" 5", 422, "VAL_002"),
        ("٣", 422, "VAL_002"),
    ],
)
def test_a_price_filter_follows_the_pattern_the_openapi_document_publishes(fake, value, status, code):
    """Outside pass: the document carried Powertools' ``ge``/``max_digits``, which are not JSON Schema."""
    import re

    from storefront.http.products import PRICE_QUERY_PATTERN

    assert (re.fullmatch(PRICE_QUERY_PATTERN, value) is not None) == (status == 200)
    evt = event("products/list_products.json")
    evt["queryStringParameters"] = {"min_price": value}
    evt["multiValueQueryStringParameters"] = {"min_price": [value]}
    answered, _, body = call(LIST, evt)
    assert (answered, None if status == 200 else body["error"]["code"]) == (status, code)
