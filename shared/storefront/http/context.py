"""The request context a route works in: the request's ids and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from aws_lambda_powertools.event_handler import Request

from storefront.domain.identity import Principal
from storefront.http.request_meta import current_meta

PRINCIPAL = "principal"
SERVICE = "service"  # the calling service's name, once its X-Service-Name and X-API-Key are verified


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    trace_id: str
    principal: Principal
    client_ip: str | None = None  # the client's address as the gateway saw it (for the audit trail)
    service: str | None = None  # on a service route: the calling service, as its verified key names it

    @property
    def tenant_id(self) -> UUID:
        """The caller's tenant: every read and write of the request is scoped to it."""
        return self.principal.tenant_id


def request_context(request: Request) -> RequestContext:
    """Route dependency: the context of this invocation (the entry point authenticated the caller)."""
    meta = current_meta()
    principal: Principal = request.context[PRINCIPAL]
    identity = (request.resolved_event.raw_event.get("requestContext") or {}).get("identity") or {}
    address = identity.get("sourceIp")
    service = request.context.get(SERVICE)
    return RequestContext(
        meta.request_id, meta.trace_id, principal, str(address) if address else None, str(service) if service else None
    )
