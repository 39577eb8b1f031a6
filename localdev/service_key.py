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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a new service key (stored hashed in the local database).")
    parser.add_argument("--service", required=True, help="the calling service's name, e.g. billing")
    parser.add_argument("--tenant", default=str(DEMO_TENANT), type=_tenant, help="the tenant's UUID")
    args = parser.parse_args(argv)
    use_lambda_paths()
    from uuid import UUID

    from storefront import bootstrap
    from storefront.application.service_keys import issue_service_key
    from storefront.domain.errors import ValidationFailed
    from storefront.domain.service_keys import check_service_name

    try:
        check_service_name(args.service)
    except ValidationFailed as error:
        parser.error(f"--service {args.service!r} {error.details and error.details['reason']}")
    STATE.mkdir(exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(STATE, 'storefront.db')}"
    os.environ["DATABASE_URL"] = url
    migrate(url)
    issued = issue_service_key(bootstrap.service_key_ports(), UUID(args.tenant), args.service, "make service-key")
    print(issued.key)


if __name__ == "__main__":
    main()
