"""Print a new service key for the local run: python -m localdev.service_key --service NAME [--tenant UUID].

The key goes into the local database `make run` uses (.local/storefront.db, migrated first), or DATABASE_URL's
when set. Only its SHA-256 digest is stored; the key is printed once. A third key of the same service retires
the oldest, so a service has at most two active keys. A deployment makes keys with the IssueServiceKey function
(README "Service keys").
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from localdev.issue_token import _tenant
from localdev.paths import STATE, use_lambda_paths
from localdev.stack import DEMO_TENANT, migrate


def new_service_key(
    database_url: str, service: str, tenant: str = str(DEMO_TENANT), actor: str = "make service-key"
) -> str:
    """A new key of ``service`` in ``tenant``, stored (hashed) in the database at ``database_url`` (migrated first)."""
    use_lambda_paths()
    from uuid import UUID

    from storefront.adapters.clock import SystemClock
    from storefront.adapters.db.engine import build_engine
    from storefront.adapters.db.unit_of_work import SqlUnitOfWork
    from storefront.application.ports import ServiceKeyPorts
    from storefront.application.service_keys import issue_service_key
    from storefront.config import DatabaseSettings

    migrate(database_url)
    engine = build_engine(database_url, DatabaseSettings(database_url=database_url))
    try:
        ports = ServiceKeyPorts(unit_of_work=lambda: SqlUnitOfWork(engine), clock=SystemClock())
        return issue_service_key(ports, UUID(tenant), service, actor).key
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a new service key (stored hashed in the local database).")
    parser.add_argument("--service", required=True, help="the calling service's name, e.g. billing")
    parser.add_argument("--tenant", default=str(DEMO_TENANT), type=_tenant, help="the tenant's UUID")
    args = parser.parse_args(argv)
    use_lambda_paths()
    from storefront.domain.errors import ValidationFailed
    from storefront.domain.service_keys import check_service_name

    try:
        check_service_name(args.service)
    except ValidationFailed:
        parser.error(f"--service {args.service!r}: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a-z or 0-9")
    STATE.mkdir(exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(STATE, 'storefront.db')}"
    print(new_service_key(url, args.service, args.tenant))


if __name__ == "__main__":
    main()
