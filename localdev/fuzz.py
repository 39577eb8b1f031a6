"""Schemathesis against the local gateway, in Kong mode and in API Gateway mode (what `make fuzz` runs).

    python -m localdev.fuzz [--examples 100] [--mode kong --mode apigw] [--seed N]

Each mode gets a fresh gateway on a free port with a fresh SQLite database, and an admin token (most
operations are open to admins); the service operations (tag ``services``) run on their own with a service-role
token and a service key made in that database (X-Service-Name, X-API-Key). The operational /api/v1 operations run
behind Kong with that service token; in API Gateway mode they take AWS_IAM instead, so they run apart with the
internal ``I + service key`` operations (validate a token, re-drive an order), each request signed with SigV4 and
the local credentials by ``localdev.fuzz_hooks`` (the payload hash over the exact bytes sent) and carrying the
service key. The run fails on any 5xx and on any response that breaks docs/openapi.json: its
status, content type, headers or body schema; an operation that answers without the token fails too.
Reports (JUnit XML, the gateway's log) land in .local/fuzz/<mode>/, schemathesis's crash cache in
.local/fuzz/.schemathesis/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from localdev.gateway_process import running_gateway
from localdev.issue_token import make_token
from localdev.openapi import SPEC
from localdev.paths import KONG_CONFIG, ROOT, STATE
from localdev.service_key import new_service_key
from localdev.stack import DEMO_ACCOUNTS, DEMO_TENANT
from localdev.yaml_text import read_yaml

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
)
MODES = ("kong", "apigw")
# Every request is the fuzz admin's, from one address: with the real limits most operations would only meet
# 429 (RATE_001 in the envelope from the functions, Kong's own body from its guard), so the functions' limits
# and Kong's guard are raised out of reach; both are tested on their own (tests/*/test_rate_limit*).
API_PREFIX = "/KONGAPI/api/v1"
# The operational internal operations' paths (AWS_IAM behind API Gateway, a service token behind Kong).
INTERNAL_PATHS = r"^/api/v1/(health|live|ready|metrics)$"
# What the hooks sign with SigV4 in API Gateway mode: those and the internal ``I + service key`` operations.
SIGNED_PATHS = r"^/api/v1/(health|live|ready|metrics|internal/.+)$"
FUZZ_RATE_LIMITS = "100000/minute,1000000/hour,10000000/day"
FUZZ_GUARD = {"minute": 1_000_000, "hour": 10_000_000, "day": 100_000_000}


def fuzz_kong_config(folder: Path) -> Path:
    """kong.yml with every rate-limiting guard raised out of the fuzzer's reach, written into ``folder``."""
    data = read_yaml(KONG_CONFIG.read_text())
    for service in data.get("services") or []:
        for route in service.get("routes") or []:
            for plugin in route.get("plugins") or []:
                if plugin["name"] == "rate-limiting":
                    plugin["config"].update(FUZZ_GUARD)
    path = folder / "kong.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# Logging out revokes the token it is called with: it runs on its own, with a token of its own, after the
# others (which would otherwise meet only 401 once the fuzzer had logged its admin out).
SESSION_ENDERS = ("logout",)
# Operations that can delete, ban or demote the caller's own account (the fuzz admin's id is in the spec's
# examples, and schemathesis reuses ids it has seen): once one did, every later request of the run was 401
# (or 403), so the operations fuzzed after it never reached their logic ("DELETE /orders/{order_id}: only
# 401/403 responses"). Each runs after the others, alone, as a fresh admin account of its own.
ACCOUNT_CHANGERS = ("deleteUser", "adminDeleteUser", "banUser", "updateUser", "replaceUser", "adminUpdateUser")
# The contract's S routes: a service-role token and a service key, nothing else gets in.
SERVICE_TAG = "services"
FUZZ_SERVICE = "fuzz-service"
# The contract's internal routes with a service key (IAM-only: API Gateway mode alone serves them).
INTERNAL_TAG = "internal"
# Operations fuzzed apart have no links among them to follow (the stateful phase would find none and fail).
STATELESS = ["--phases", "examples,coverage,fuzzing"]


def schemathesis_command(
    base_url: str,
    token: str | None,
    examples: int,
    seed: int,
    report_dir: Path,
    operations: list[str] | None = None,
    service_key: str | None = None,
) -> list[str]:
    """The schemathesis CLI call for one running gateway; ``operations`` filters (--include/--exclude-...); without
    ``token`` the requests carry only what the hooks add (the SigV4 signature of the operational IAM operations);
    ``service_key``: sent with X-Service-Name FUZZ_SERVICE on every request."""
    service = ["--header", f"X-Service-Name: {FUZZ_SERVICE}", "--header", f"X-API-Key: {service_key}"]
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(SPEC),
        "--url",
        base_url,
        *(["--header", f"Authorization: Bearer {token}"] if token else []),
        *(service if service_key else []),
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--workers",
        "1",  # the gateway serves one request at a time, as a Lambda container does
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--no-color",
        *(operations or []),
    ]


@dataclass(frozen=True)
class FuzzRun:
    """One schemathesis run of a mode: its operation filters and its credentials. ``admin``: an admin account id
    whose token is sent (None: that of ``new_admin``, made for the run); ``service``: a service-role token and the
    fuzz service's key; ``signed``: no token, each request SigV4-signed by ``localdev.fuzz_hooks`` (the
    operational and internal /api/v1 operations behind API Gateway), with the fuzz service's key headers."""

    filters: list[str]
    admin: str | None = None
    service: bool = False
    signed: bool = False


def fuzz_mode(mode: str, examples: int, seed: int, reports: Path) -> int:
    """Run schemathesis against a fresh gateway in ``mode``; the worst of its runs' exit codes."""
    report_dir = reports / mode
    report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{mode}-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'fuzz.db'}"
        environment = {"RATE_LIMITS": FUZZ_RATE_LIMITS, "KONG_DECLARATIVE_CONFIG": str(fuzz_kong_config(Path(folder)))}
        with running_gateway(mode, database_url, report_dir / "gateway.log", environment) as port:
            # The demo admin's account, so the caller's own routes (profile, settings) reach their logic too.
            subject = str(DEMO_ACCOUNTS[0][0])
            print(f"fuzz: {mode} mode, {examples} examples per operation, seed {seed}", flush=True)
            base_url = f"http://127.0.0.1:{port}"
            hooks = {**os.environ, "SCHEMATHESIS_HOOKS": "localdev.fuzz_hooks", "FUZZ_BASE_URL": base_url}
            hooks["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
            key = new_service_key(database_url, FUZZ_SERVICE, actor="fuzz")
            codes = []
            for run in fuzz_runs(subject, lambda: fresh_admin(port, subject), mode):
                if run.service:
                    token: str | None = make_token("service", str(DEMO_TENANT), str(uuid.uuid4()), FUZZ_SERVICE, 3600)
                elif run.signed:
                    token = None  # the hooks sign each request
                else:
                    token = make_token("admin", str(DEMO_TENANT), run.admin or subject, "fuzz-admin", 3600)
                with_key = key if run.service or run.signed else None
                command = schemathesis_command(base_url, token, examples, seed, report_dir, run.filters, with_key)
                # Schemathesis keeps its crash cache (replayed first next time) in .schemathesis/ under its cwd.
                codes.append(subprocess.run(command, cwd=reports, env=hooks, check=False).returncode)
            return max(codes)


def fuzz_runs(subject: str, new_admin: Callable[[], str], mode: str = "kong") -> list[FuzzRun]:
    """The schemathesis runs of ``mode``, in order: everything but the session enders, account changers, service,
    operational and internal operations as the admin ``subject``; logout alone as ``subject``; each account
    changer alone as an admin account ``new_admin`` makes for it; the service operations with a service token and
    key. The operational /api/v1 operations: behind Kong with a service token (the only role that reads the
    metrics there); behind API Gateway (AWS_IAM) signed with SigV4, together with the internal ``I + service
    key`` operations (API Gateway alone serves those: Kong has no route to them). Every operation of
    docs/openapi.json is in some run of some mode (tests/unit/test_fuzz_driver.py)."""
    alone = STATELESS  # alone, an operation has no links to follow
    excluded = [arg for op in (*SESSION_ENDERS, *ACCOUNT_CHANGERS) for arg in ("--exclude-operation-id", op)]
    excluded += ["--exclude-tag", SERVICE_TAG, "--exclude-tag", INTERNAL_TAG, "--exclude-path-regex", INTERNAL_PATHS]
    included = [arg for op in SESSION_ENDERS for arg in ("--include-operation-id", op)]
    runs = [FuzzRun(excluded, subject), FuzzRun([*included, *alone], subject)]
    runs += [FuzzRun(["--include-operation-id", op, *alone], new_admin()) for op in ACCOUNT_CHANGERS]
    runs.append(FuzzRun(["--include-tag", SERVICE_TAG, *alone], service=True))
    if mode == "kong":
        runs.append(FuzzRun(["--include-path-regex", INTERNAL_PATHS, *alone], service=True))
    else:
        # Unsigned, API Gateway answers an IAM route as a path it does not serve (MISSING_AUTHENTICATION_TOKEN:
        # 404 BIZ_001 in the template), not with the 401/403 schemathesis's ignored_auth check expects.
        unsigned_is_404 = ["--exclude-checks", "ignored_auth"]
        runs.append(FuzzRun(["--include-path-regex", SIGNED_PATHS, *unsigned_is_404, *alone], signed=True))
    return runs


def fuzzed_operations(filters: list[str]) -> set[str]:
    """The operation ids of docs/openapi.json a run with ``filters`` tries, as schemathesis's own CLI selects them."""
    import schemathesis
    from schemathesis.cli import schemathesis as cli
    from schemathesis.cli.commands._options import build_filter_set

    context = cli.commands["run"].make_context("run", [str(SPEC), *filters])
    schema = schemathesis.openapi.from_path(SPEC)
    schema.filter_set = schema.config.operations.create_filter_set(**build_filter_set(context.params))
    return {str(result.ok().definition.raw["operationId"]) for result in schema.get_all_operations()}  # type: ignore[union-attr]


def fresh_admin(port: int, creator: str) -> str:
    """The id of a new admin account in the demo tenant, created through the API by ``creator`` (an admin)."""
    name = f"fuzz-{uuid.uuid4().hex[:12]}"
    body = json.dumps({"email": f"{name}@example.com", "username": name, "full_name": "Fuzz Admin", "role": "admin"})
    token = make_token("admin", str(DEMO_TENANT), creator, "fuzz-admin", 300)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", f"{API_PREFIX}/users", body=body, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    if response.status != 201:
        raise SystemExit(f"fuzz: could not create an admin account to fuzz with: {response.status} {answer}")
    return str(answer["data"]["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz every operation of docs/openapi.json on the local gateway.")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "100")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "0")) or None)
    parser.add_argument("--mode", action="append", choices=MODES, help="default: both")
    parser.add_argument("--reports", type=Path, default=STATE / "fuzz")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    failed = [mode for mode in args.mode or MODES if fuzz_mode(mode, args.examples, seed, args.reports) != 0]
    if failed:
        print(f"fuzz: failures in {', '.join(failed)} mode (seed {seed}; reports in {args.reports})", file=sys.stderr)
        return 1
    print(f"fuzz: no failures (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
