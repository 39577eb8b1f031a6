"""The service key half of a service route's credentials: ``X-Service-Name`` and ``X-API-Key``.

The gateway vouches for the token (Kong's jwt plugin or the API Gateway authorizer) and the function checks its
role; neither gateway can check a key against the hashed keys in the database, so the function does it here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storefront.application.service_keys import ServiceKeyVerifier
from storefront.domain.errors import Unauthenticated
from storefront.domain.identity import Principal
from storefront.http.identity import log_refusal
from storefront.http.request_meta import header_values

SERVICE_NAME_HEADER = "X-Service-Name"
API_KEY_HEADER = "X-API-Key"


def one_header(event: Mapping[str, Any], name: str) -> str | None:
    """The one value of header ``name`` (stripped); None when it is missing or sent more than once."""
    values = header_values(event, name.lower())
    return values[0].strip() if len(values) == 1 else None


def require_service_key(
    event: Mapping[str, Any], principal: Principal, verifier: Callable[[], ServiceKeyVerifier]
) -> str:
    """The calling service's name when its headers name an active key of the principal's tenant; AUTH_001
    (one message whatever failed, the reason logged) otherwise."""
    try:
        return verifier().verify(
            principal.tenant_id, one_header(event, SERVICE_NAME_HEADER), one_header(event, API_KEY_HEADER)
        )
    except Unauthenticated as refused:
        log_refusal(refused)
        raise
