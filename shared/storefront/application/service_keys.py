"""Service keys: making one (the oldest active key retires when a third would be active) and checking one.

Rotation without downtime: make a new key (both the old and the new one work), give it to every instance of
the calling service, and the old key retires when the next one is made (or at once with ``retire``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from storefront.application.ports import ServiceKeyPorts
from storefront.domain.errors import Unauthenticated
from storefront.domain.service_keys import (
    ACTIVE_KEYS_MAX,
    KEY_MAX,
    SERVICE_NAME_PATTERN,
    IssuedServiceKey,
    ServiceKey,
    digest_matches,
    issue_key,
    key_digest,
)


def issue_service_key(ports: ServiceKeyPorts, tenant_id: UUID, service_name: str, actor: str) -> IssuedServiceKey:
    """A new key for the service; the service's older keys beyond the newest one retire in the same transaction,
    so at most ACTIVE_KEYS_MAX are active. The active keys are read FOR UPDATE: two makers of the same
    service's key queue behind each other."""
    now = ports.clock.now()
    issued = issue_key(tenant_id, service_name, actor, now)
    with ports.unit_of_work() as uow:
        active = uow.service_keys.active(tenant_id, issued.record.service_name, lock=True)
        uow.service_keys.retire([k.id for k in active[ACTIVE_KEYS_MAX - 1 :]], now)
        uow.service_keys.add(issued.record)
        uow.commit()
    return issued


class ServiceKeyVerifier:
    """Checks a service's X-Service-Name and X-API-Key against its active keys (one indexed read).

    A key found valid is remembered for ``remember_seconds`` in this container, so a busy service costs one
    read a minute, not one per request; a key retired meanwhile is refused once that time has passed.
    """

    def __init__(
        self, ports: ServiceKeyPorts, remember_seconds: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ports = ports
        self._remember_seconds = remember_seconds
        self._monotonic = monotonic
        self._valid_until: dict[tuple[UUID, str, str], float] = {}
        self._identified: dict[str, tuple[ServiceKey, float]] = {}

    def identify(self, service_name: str | None, key: str | None) -> ServiceKey:
        """The active key ``key`` of ``service_name``, whatever its tenant: an internal route's caller has no
        token, so the key says which tenant it acts in. Unauthenticated (AUTH_001) otherwise; found keys are
        remembered like ``verify``'s."""
        presented = self._presented(service_name, key)
        now = self._monotonic()
        remembered = self._identified.get(presented)
        if remembered is not None and remembered[1] > now and remembered[0].service_name == service_name:
            return remembered[0]
        with self._ports.unit_of_work() as uow:
            found = uow.service_keys.find_active(presented)
        # The digest was found by equality in the index; the stored one is compared again in constant time.
        if found is None or found.service_name != service_name or not digest_matches(found.key_hash, presented):
            raise Unauthenticated() from LookupError(f"no active key of service {service_name!r} matches")
        self._identified[presented] = (found, now + self._remember_seconds)
        return found

    def _presented(self, service_name: str | None, key: str | None) -> str:
        if not service_name or not key:
            raise Unauthenticated() from LookupError("X-Service-Name and X-API-Key are required")
        if len(key) > KEY_MAX or not SERVICE_NAME_PATTERN.fullmatch(service_name):
            raise Unauthenticated() from LookupError("malformed service name or key")
        return key_digest(key)

    def verify(self, tenant_id: UUID, service_name: str | None, key: str | None) -> str:
        """The service name when ``key`` is one of its active keys in the tenant; Unauthenticated (AUTH_001)
        otherwise, with the reason as the error's cause (for the log)."""
        presented = self._presented(service_name, key)
        assert service_name is not None  # _presented refused a missing one
        memo = (tenant_id, service_name, presented)
        now = self._monotonic()
        if self._valid_until.get(memo, 0.0) > now:
            return service_name
        with self._ports.unit_of_work() as uow:
            active = uow.service_keys.active(tenant_id, service_name)
        # Compared with every active key, each in constant time: no early exit tells which one was close.
        matched = [k for k in active if digest_matches(k.key_hash, presented)]
        if not matched:
            raise Unauthenticated() from LookupError(f"no active key of service {service_name!r} matches")
        self._valid_until[memo] = now + self._remember_seconds
        return service_name


def retire_service_key(ports: ServiceKeyPorts, tenant_id: UUID, service_name: str, key_id: UUID) -> bool:
    """Retire one key of the service now (a leaked key); False when it is not an active key of that service."""
    with ports.unit_of_work() as uow:
        active = uow.service_keys.active(tenant_id, service_name, lock=True)
        if key_id not in {k.id for k in active}:
            return False
        uow.service_keys.retire([key_id], ports.clock.now())
        uow.commit()
    return True
