"""One OpenAPI document for every HTTP function of template.yaml, merged from their resolvers.

    python -m localdev.openapi            # write docs/openapi.json (what `make openapi` runs)
    python -m localdev.openapi --check    # exit 1 when docs/openapi.json is not what the handlers say

Each function module declares its route (summary, tags, responses, security) on its own resolver;
Powertools' OpenAPIMerge loads every module the template names and merges their documents.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from localdev.paths import ROOT, use_lambda_paths
from localdev.template import Function, read_api

SPEC = ROOT / "docs" / "openapi.json"
DESCRIPTION = """\
Storefront's HTTP API, the same through Kong and through Amazon API Gateway.

Every answer is an envelope: `{"success", "status_code", "data", "meta": {"timestamp", "request_id",
"trace_id", "pagination"?}}`; errors carry `error: {"code", "message", "details"?, ...}` and `data: null`.
`status_code` equals the HTTP status; 204 and 304 have no body. Every route but the public ones needs
`Authorization: Bearer <token>` (locally: `make token ROLE=admin`).

CORS: `OPTIONS` on any path answers a browser's preflight with 204 and no authentication; responses to
an allowed origin carry `Access-Control-Allow-Origin` and expose ETag, Location, X-Request-ID, X-Cache,
Retry-After, X-RateLimit-*, Idempotent-Replayed and Content-Disposition (a CSV report's file name).
"""
TAGS = [
    {"name": "auth", "description": "Accounts and sessions: register, log in, refresh, log out, reset a password."},
    {"name": "products", "description": "The product catalogue of the caller's tenant."},
    {"name": "users", "description": "The tenant's accounts: each readable and editable by its owner or an admin."},
    {
        "name": "profile",
        "description": "Profiles and settings: the caller's own, and any user's by its owner or an admin.",
    },
    {"name": "admin", "description": "The tenant's users as an admin manages them: lists, edits, deletes, bans."},
]
# Settings the function modules check when they are imported; nothing connects while the spec is built.
IMPORT_ENVIRONMENT = {
    "GATEWAY_MODE": "apigw",
    "DATABASE_URL": "sqlite://",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "DEFAULT_TENANT_ID": "00000000-0000-4000-8000-000000000001",
    "JWT_ISSUER": "openapi",
    "JWT_SECRETS": '{"openapi": "only-for-building-the-document-32-bytes"}',
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def http_functions() -> list[Function]:
    """The template's functions that serve API operations: not the authorizer (no routes), not the CORS
    preflight (OPTIONS on every path is CORS protocol, described once in the document's description), not
    the catch-all that answers 404 for paths no route serves."""
    return [f for f in read_api().functions.values() if any(r.method not in ("OPTIONS", "ANY") for r in f.routes)]


def module_file(function: Function) -> Path:
    """The source file of a function's handler (``products.get_product.handler`` -> functions/products/...)."""
    module = function.handler.rpartition(".")[0]
    return ROOT / "functions" / Path(*module.split(".")).with_suffix(".py")


def build() -> dict[str, Any]:
    """The merged document of every HTTP function in the template."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    from storefront.http import openapi

    merge = OpenAPIMerge(
        title=openapi.TITLE,
        version=openapi.API_VERSION,
        description=DESCRIPTION,
        servers=openapi.SERVERS,  # type: ignore[arg-type]  # dicts are what the merged document holds
        security_schemes=openapi.SECURITY_SCHEMES,  # type: ignore[arg-type]
        tags=TAGS,  # type: ignore[arg-type]
        on_conflict="error",
    )
    for function in http_functions():
        merge.add_file(module_file(function))
    with warnings.catch_warnings():
        # A module that fails to load is a warning to OpenAPIMerge; here it is an error.
        warnings.simplefilter("error", UserWarning)
        document = json.loads(merge.get_openapi_json_schema())
    return tidy(merge_patch_bodies(document))


MERGE_PATCH = "application/merge-patch+json"


def merge_patch_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """List ``application/merge-patch+json`` (RFC 7396), which every PATCH route takes, beside
    ``application/json`` for every PATCH body, with the same schema (Powertools names only the latter)."""
    for item in document.get("paths", {}).values():
        content = item.get("patch", {}).get("requestBody", {}).get("content", {})
        if "application/json" in content:
            content.setdefault(MERGE_PATCH, content["application/json"])
    return document


def tidy(document: dict[str, Any]) -> dict[str, Any]:
    """Drop what the handlers never answer: empty ``content`` (204/304) and schemas no one refers to.

    Powertools always adds its own 422 schemas (HTTPValidationError, ValidationError); every route
    declares the envelope's 422 instead, so those stay unreferenced and go.
    """
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                if response.get("content") == {}:
                    del response["content"]
    schemas = document.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps({k: v for k, v in document.items() if k != "components"}) + json.dumps(schemas)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return document
        for name in unused:
            del schemas[name]


def render(document: dict[str, Any]) -> str:
    """The document as committed: sorted keys, two-space indent, one final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or check) docs/openapi.json from the handlers.")
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed document is stale")
    parser.add_argument("--output", type=Path, default=SPEC)
    args = parser.parse_args(argv)
    os.environ.update(IMPORT_ENVIRONMENT)
    use_lambda_paths()
    text = render(build())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
