"""Generate kong/kong.yml and the shared layer's route table from template.yaml (`make kong`).

    python -m localdev.generate_kong [--check]

One Kong route per Api event of a function: named after the function, the template path as an anchored
regex with one named capture per path parameter (Kong passes them as pathParameters), the event's method.
Each route calls its function with the aws-lambda plugin as a Lambda proxy integration; protected routes
(no ``Auth: {Authorizer: NONE}``) also carry the jwt plugin; every route carries Kong's rate-limiting plugin
as a coarse guard above its function's own limits. Global plugin: cors.
``--check`` only reports whether the committed files are current (exit status 1 when stale).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from localdev.paths import KONG_CONFIG, ROOT
from localdev.stack import LOCAL_CORS_ORIGINS as LOCAL_ORIGINS
from localdev.template import Api, Function, read_api

ROUTES_MODULE = ROOT / "shared" / "storefront" / "http" / "routes.py"
AWS_REGION = "eu-west-1"
ANONYMOUS = "anonymous"
# Local development only: `make run` and `make token` sign with this; deployed Kong gets its own.
LOCAL_CONSUMER = {
    "username": "storefront-web",
    "key": "storefront-web",
    "secret": "local-dev-only-storefront-web-secret-0001",
}
HEADER = """\
# GENERATED from template.yaml by `make kong` (python -m localdev.generate_kong): do not edit by hand.
# Kong 3.x declarative configuration (DB-less) for the stack `storefront-dev`.
# - Every route invokes its function with the aws-lambda plugin as a Lambda proxy integration
#   (is_proxy_integration: without it Kong would answer 200 with the function's raw return value).
#   log_type None: with Kong's default (Tail) the base64 tail of the function's log reaches the client.
# - Protected routes carry the jwt plugin with the `anonymous` consumer: a token Kong cannot verify is
#   passed on anonymously, so the function answers 401 in the contract's envelope (AUTH_001/AUTH_002).
# - cors: Kong answers preflights itself with 200, the contract says 204, so preflight_continue hands
#   OPTIONS to the cors-preflight route (the same function API Gateway calls). The function adds the
#   exposed headers for allowed origins only; the plugin would send them to every origin. The plugin
#   adds Vary: Origin to every answer but the preflight it hands on, so the function adds it only there.
# - Paths no route serves reach the template's catch-all function (404 BIZ_001 in the envelope, with
#   the request id and the same headers as every answer), not a static body.
# - No correlation-id plugin: the event's requestContext.requestId is Kong's own request id, the one Kong
#   returns as X-Kong-Request-Id, so the function's request id (X-Request-ID, meta.request_id) matches it.
# - rate-limiting on every route: Kong's own coarse guard, per client address (limit_by ip), at ten times
#   the route's function's limits (its RATE_LIMITS), counted in Redis (redis policy, one counter per route,
#   calendar windows, every request counted), so a client that heeds the function's 429 RATE_001 never meets
#   Kong's; one that ignores it is stopped here before the function is invoked. Not limit_by consumer: the
#   Kong consumer is the client application (one key signs every user's tokens), and with the jwt plugin's
#   anonymous consumer every unauthenticated request of every client would share one counter. Its client
#   headers are hidden: RateLimit-* / X-RateLimit-*-Minute would contradict the function's X-RateLimit-*.
#   Redis unreachable: fault_tolerant lets requests through (the functions still limit, or fail open).
#   Deployed Kong: point redis.host at the functions' Redis (ElastiCache: ssl true), and set trusted_ips
#   (and the functions' TRUSTED_PROXIES) when a load balancer stands in front of Kong.
# The jwt secret below is a LOCAL DEVELOPMENT SECRET ONLY. Deployed Kong gets consumers from a secret store.
"""
# The Redis of Kong's rate-limiting plugin (the local gateway resolves this name to its own Redis).
KONG_REDIS_HOST = "storefront-redis"
KONG_REDIS = {"host": KONG_REDIS_HOST, "port": 6379, "database": 0, "timeout": 250, "ssl": False}
# Kong's guard allows this many times what the route's function allows.
GUARD_FACTOR = 10


def no_route_function(api: Api) -> Function:
    """The template's catch-all function: the one whose every route is ``ANY`` on a greedy path."""
    found = [f for f in api.functions.values() if f.routes and all(r.method == "ANY" for r in f.routes)]
    if len(found) != 1:
        raise ValueError("template.yaml needs exactly one catch-all function (ANY on /{proxy+})")
    return found[0]


def route_name(logical_id: str) -> str:
    """ListProductsFunction -> list-products."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id.removesuffix("Function")).lower()


def path_regex(path: str) -> str:
    """A template path as Kong's anchored regex: {name} -> (?<name>[^/]+), {name+} -> (?<name>.+)."""
    parts = re.split(r"(\{\w+\+?\})", path)
    regex = ""
    for part in parts:
        parameter = re.fullmatch(r"\{(\w+)(\+?)\}", part)
        if parameter:
            regex += f"(?<{parameter.group(1)}>{'.+' if parameter.group(2) else '[^/]+'})"
        else:
            regex += re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", part)
    return f"~{regex}$"


def kong_origins(setting: str) -> list[str]:
    """CORS_ALLOWED_ORIGINS as Kong's cors plugin matches them: each entry a regex (a leading ^ makes
    Kong treat even a plain origin as one, so a single entry is never sent to every origin)."""
    from storefront.http.cors import ANY_PORT, PORT_PATTERN, policy

    origins = []
    for rule in policy(setting).rules:
        port = f"(:{PORT_PATTERN})?" if rule.port == ANY_PORT else (f":{rule.port}" if rule.port else "")
        origins.append(f"^{rule.scheme}://{re.escape(rule.host)}{port}$")
    return origins


def _lambda(function_name: str) -> dict[str, Any]:
    return {
        "name": "aws-lambda",
        "config": {
            "function_name": function_name,
            "aws_region": AWS_REGION,
            "awsgateway_compatible": True,
            "is_proxy_integration": True,
            "base64_encode_body": True,
            # Kong drops bodies nginx buffered to disk (over 8 KiB) unless told not to; the function
            # itself answers 413 above 1 MiB.
            "skip_large_bodies": False,
            "log_type": "None",
            "empty_arrays_mode": "correct",
        },
    }


JWT = {
    "name": "jwt",
    "config": {
        "key_claim_name": "iss",
        "claims_to_verify": ["exp"],
        "maximum_expiration": 3600,
        "header_names": ["authorization"],
        "uri_param_names": [],
        "cookie_names": [],
        "secret_is_base64": False,
        "anonymous": ANONYMOUS,
    },
}


def rate_limiting(function: Function) -> dict[str, Any]:
    """Kong's rate-limiting plugin for a route of ``function``: GUARD_FACTOR times its windows, per client
    address, in Redis; Kong's own client headers hidden."""
    from storefront.config import DEFAULT_RATE_LIMITS
    from storefront.domain.rate_limits import parse_windows

    windows = parse_windows(function.environment.get("RATE_LIMITS") or DEFAULT_RATE_LIMITS)
    return {
        "name": "rate-limiting",
        "config": {
            **{window.period: window.limit * GUARD_FACTOR for window in windows},
            "limit_by": "ip",
            "policy": "redis",
            "redis": dict(KONG_REDIS),
            "fault_tolerant": True,
            "hide_client_headers": True,
            "sync_rate": -1,
        },
    }


def kong_config(api: Api, origins: str = LOCAL_ORIGINS) -> dict[str, Any]:
    """The declarative configuration for every Api event of the template."""
    from storefront.http.cors import ALLOW_HEADERS, MAX_AGE_SECONDS

    routes = []
    fallback = no_route_function(api)
    # Kong has no IAM: the internal routes that name their caller by IAM and a service key are served by API
    # Gateway alone (no Kong route, nor a preflight one); the operational IAM routes take a service's or an
    # admin's token here, and their OPTIONS reaches the preflight function as every other route's does.
    gateway_only = {route.path for f in api.functions.values() if f.api_gateway_only for route in f.routes}
    for function in api.functions.values():
        if function is fallback or function.api_gateway_only:
            continue
        for index, route in enumerate(function.routes):
            if route.path in gateway_only:
                continue
            plugins = [_lambda(function.function_name), *([] if function.public else [JWT]), rate_limiting(function)]
            routes.append(
                {
                    "name": route_name(function.logical_id) + (f"-{index + 1}" if index else ""),
                    "methods": [route.method],
                    "paths": [path_regex(route.path)],
                    "strip_path": False,
                    "tags": [function.handler.split(".")[0]],
                    "plugins": plugins,
                }
            )
    routes.append(
        {
            "name": "no-route",
            "paths": ["/"],
            "strip_path": False,
            # Kong's own 404 would be a bare body: the template's catch-all function answers in the envelope.
            "plugins": [_lambda(fallback.function_name), rate_limiting(fallback)],
        }
    )
    cors = {
        "origins": kong_origins(origins),
        "headers": list(ALLOW_HEADERS),
        "max_age": MAX_AGE_SECONDS,
        "credentials": False,
        "preflight_continue": True,
    }
    return {
        "_format_version": "3.0",
        "_transform": True,
        "consumers": [
            {"username": ANONYMOUS, "custom_id": ANONYMOUS},
            {
                "username": LOCAL_CONSUMER["username"],
                "custom_id": LOCAL_CONSUMER["username"],
                "tags": ["local-dev"],
                "jwt_secrets": [
                    {"key": LOCAL_CONSUMER["key"], "secret": LOCAL_CONSUMER["secret"], "algorithm": "HS256"}
                ],
            },
        ],
        "plugins": [
            {"name": "cors", "config": cors},
        ],
        "services": [
            # Never called: the aws-lambda plugin answers every route itself.
            {"name": "storefront", "url": "http://127.0.0.1:65535", "routes": routes}
        ],
    }


class _Dumper(yaml.SafeDumper):
    """Writes a repeated plugin in full at each route (no YAML anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def kong_yaml(api: Api, origins: str = LOCAL_ORIGINS) -> str:
    """kong/kong.yml as text."""
    body = yaml.dump(kong_config(api, origins), Dumper=_Dumper, sort_keys=False, width=120, default_flow_style=False)
    return HEADER + body


def route_table(api: Api) -> dict[str, tuple[str, ...]]:
    """Each API path of the template and its methods (the preflight's OPTIONS and the catch-all's ANY left out).
    The IAM routes are in it too: OPTIONS on any route answers 204 (the contract), theirs included."""
    table: dict[str, set[str]] = {}
    for function in api.functions.values():
        for route in function.routes:
            if route.method not in ("OPTIONS", "ANY"):
                table.setdefault(route.path, set()).add(route.method)
    return {path: tuple(sorted(methods)) for path, methods in sorted(table.items())}


def routes_module(api: Api) -> str:
    """shared/storefront/http/routes.py as text."""
    lines = [
        '"""The API\'s routes and their methods, GENERATED from template.yaml by `make kong`: do not edit.',
        "",
        "Functions cannot read template.yaml at run time; the CORS preflight answers from this table.",
        '"""',
        "",
        "ROUTES: dict[str, tuple[str, ...]] = {",
    ]
    for path, methods in route_table(api).items():
        quoted = ", ".join(json.dumps(m) for m in methods) + ("," if len(methods) == 1 else "")
        lines.append(f"    {json.dumps(path)}: ({quoted}),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def outputs(api: Api | None = None) -> dict[Path, str]:
    """Every generated file and its content."""
    api = api or read_api()
    return {KONG_CONFIG: kong_yaml(api), ROUTES_MODULE: routes_module(api)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate kong/kong.yml and the route table from template.yaml.")
    parser.add_argument("--check", action="store_true", help="fail when a committed file is stale")
    args = parser.parse_args(argv)
    from localdev.paths import use_lambda_paths

    use_lambda_paths()
    stale = [path for path, text in outputs().items() if not path.is_file() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run `make kong`)", file=sys.stderr)
        sys.exit(1 if stale else 0)
    for path, text in outputs().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
