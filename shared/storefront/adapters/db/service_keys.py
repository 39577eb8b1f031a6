"""SERVICE_KEYS: the hashed keys of each service, per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.records import first_record, insert_record, record_of
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import SERVICE_KEYS
from storefront.domain.service_keys import ServiceKey


def active_statement(tenant_id: UUID, service_name: str, *, lock: bool = False) -> Any:
    """SELECT the service's unretired keys, newest first (FOR UPDATE with ``lock``)."""
    statement = (
        select(SERVICE_KEYS)
        .where(
            SERVICE_KEYS.c.TENANT_ID == tenant_id,
            SERVICE_KEYS.c.SERVICE_NAME == service_name,
            SERVICE_KEYS.c.RETIRED_AT.is_(None),
        )
        .order_by(SERVICE_KEYS.c.CREATED_AT.desc(), SERVICE_KEYS.c.ID.desc())
    )
    return statement.with_for_update() if lock else statement


def retire_statement(key_ids: Sequence[UUID], at: datetime) -> Any:
    """UPDATE the keys to retired at ``at`` (those already retired keep their time)."""
    return (
        update(SERVICE_KEYS)
        .where(SERVICE_KEYS.c.ID.in_(list(key_ids)), SERVICE_KEYS.c.RETIRED_AT.is_(None))
        .values(RETIRED_AT=at)
    )


class SqlServiceKeys:
    """The ServiceKeys port on SERVICE_KEYS."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements

    def add(self, key: ServiceKey) -> None:
        insert_record(self._statements, SERVICE_KEYS, key)

    def active(self, tenant_id: UUID, service_name: str, *, lock: bool = False) -> list[ServiceKey]:
        statement = active_statement(tenant_id, service_name, lock=lock)
        with translated_errors():
            rows = (self._statements.write(statement) if lock else self._statements.read(statement)).all()
        return [record_of(ServiceKey, r) for r in rows]

    def find_active(self, key_hash: str) -> ServiceKey | None:
        statement = select(SERVICE_KEYS).where(SERVICE_KEYS.c.KEY_HASH == key_hash, SERVICE_KEYS.c.RETIRED_AT.is_(None))
        return first_record(self._statements, ServiceKey, statement)

    def retire(self, key_ids: Sequence[UUID], at: datetime) -> None:
        if key_ids:
            with translated_errors():
                self._statements.write(retire_statement(key_ids, at))
