"""The operational routes' bodies and documentation: the internal ``/api/v1/{health,ready,live,metrics}`` (IAM
in AWS) and the public ``public/{health,ready,info,version,status}``. A public route and its internal twin share
one body, each function registering it with its own path, documentation and callers."""

from __future__ import annotations

import os
from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler import Request, Response
from aws_lambda_powertools.event_handler.depends import Depends
from pydantic import BaseModel, Field

from storefront import bootstrap
from storefront.application import operations
from storefront.build_info import build_info
from storefront.config import OperationsSettings, load
from storefront.domain.health import ComponentStatus
from storefront.domain.identity import Principal
from storefront.http import openapi
from storefront.http.context import PRINCIPAL
from storefront.http.envelope import ok
from storefront.http.openapi import envelope
from storefront.http.prometheus import CONTENT_TYPE, exposition

OPERATIONS_TAG = "operations"
SERVICE_NAME = "storefront"
SERVICE_DESCRIPTION = "E-commerce backend: catalog, accounts, orders with asynchronous payment and notification."
# Probes must see the answer of now: no gateway or client cache may keep one.
NO_CACHE = {"Cache-Control": "no-store"}
# What changes only with a deployment (info, version): a cache may keep it a minute.
STATIC = {"Cache-Control": "public, max-age=60"}


class Health(BaseModel):
    status: Literal["ok"] = Field(description="The process is up and answering.")


class Liveness(BaseModel):
    status: Literal["alive"] = Field(description="The function's process answers; nothing else is checked.")


class Component(BaseModel):
    """One dependency as its probe found it."""

    name: str = Field(description="database or redis")
    state: Literal["up", "down"]
    latency_ms: float = Field(ge=0, description="How long the probe took (the deadline when it gave up).")
    reason: str | None = Field(description="Why it is down (an exception's type, or the deadline); null when up.")


class Readiness(BaseModel):
    status: Literal["ready"]
    components: list[Component]


class Status(BaseModel):
    status: Literal["ok", "degraded", "down"] = Field(description="ok: every component up; down: none.")
    version: str
    components: list[Component]


class Info(BaseModel):
    name: str
    description: str
    environment: str = Field(description="The deployment stage: dev, staging or prod (local when run locally).")
    region: str = Field(description="The AWS region the function runs in.")
    api_version: str


class Version(BaseModel):
    version: str = Field(description="The release, from pyproject.toml, stamped at build.")
    revision: str = Field(description="The git commit built (-dirty: with uncommitted changes); unknown if unstamped.")
    built_at: str | None = Field(description="When the build was stamped (ISO-8601 UTC).")


HealthEnvelope = envelope("HealthEnvelope", Health)
LivenessEnvelope = envelope("LivenessEnvelope", Liveness)
ReadinessEnvelope = envelope("ReadinessEnvelope", Readiness)
StatusEnvelope = envelope("StatusEnvelope", Status)
InfoEnvelope = envelope("InfoEnvelope", Info)
VersionEnvelope = envelope("VersionEnvelope", Version)

READY_HELP = (
    "The database and Redis are each asked at once and must answer within READY_DEADLINE_SECONDS (default 1 s). "
    "503 SYS_003 names every component's state in `error.details.components` when one did not."
)


def _components(found: list[ComponentStatus]) -> list[dict[str, object]]:
    return [{"name": c.name, "state": c.state.value, "latency_ms": c.latency_ms, "reason": c.reason} for c in found]


def health() -> Response[str]:
    """200 while the process answers."""
    return ok({"status": "ok"}, headers=NO_CACHE)


def liveness() -> Response[str]:
    """200 while the process answers."""
    return ok({"status": "alive"}, headers=NO_CACHE)


def readiness() -> Response[str]:
    """200 when the database and Redis answered within the deadline; 503 SYS_003 naming them otherwise."""
    deadline = load(OperationsSettings).ready_deadline_seconds
    found = operations.require_ready(bootstrap.probes(), deadline)
    return ok({"status": "ready", "components": _components(found)}, headers=NO_CACHE)


def status() -> Response[str]:
    """Every component's state (always 200: a status page reports, readiness refuses)."""
    found = operations.check_components(bootstrap.probes(), load(OperationsSettings).ready_deadline_seconds)
    data = {
        "status": operations.overall_state(found),
        "version": build_info().version,
        "components": _components(found),
    }
    return ok(data, headers=NO_CACHE)


def info() -> Response[str]:
    """What this API is and where it runs."""
    data = {
        "name": SERVICE_NAME,
        "description": SERVICE_DESCRIPTION,
        "environment": load(OperationsSettings).environment,
        "region": os.environ.get("AWS_REGION", "local"),
        "api_version": openapi.API_VERSION,
    }
    return ok(data, headers=STATIC)


def version() -> Response[str]:
    """The version and git revision stamped at build."""
    built = build_info()
    return ok({"version": built.version, "revision": built.revision, "built_at": built.built_at}, headers=STATIC)


def caller_tenant(request: Request) -> UUID | None:
    """Route dependency: the tenant of the token's principal (behind Kong), None for an IAM caller (behind API
    Gateway the operational routes take no token: the caller is a deployment operator)."""
    principal: Principal | None = request.context.get(PRINCIPAL)
    return principal.tenant_id if principal is not None else None


def metrics(tenant_id: Annotated[UUID | None, Depends(caller_tenant)]) -> Response[str]:
    """The operational metrics in the Prometheus text format; a source that failed is reported, never a 500.
    The tenant-level series (orders, outbox) count ``tenant_id``'s rows only when a token's tenant is known."""
    timeout = load(OperationsSettings).metrics_source_timeout_seconds
    families = operations.collect_metrics(bootstrap.metric_sources(tenant_id), timeout)
    return Response(200, CONTENT_TYPE, exposition(families), headers=NO_CACHE)
