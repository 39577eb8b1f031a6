"""Print a signed local access token: python -m localdev.issue_token --role admin [--tenant UUID] [--ttl 3600]."""

from __future__ import annotations

import argparse
import uuid

from localdev.kong import load_kong
from localdev.stack import DEMO_TENANT


def make_token(role: str, tenant: str, subject: str, username: str, ttl: int, consumer: str = "storefront-web") -> str:
    """A token signed with the local secret of Kong consumer ``consumer``."""
    from localdev.paths import use_lambda_paths

    use_lambda_paths()
    from storefront.adapters.tokens import JwtTokens

    kong = load_kong()
    key = next(key for key, credential in kong.credentials.items() if credential.consumer.username == consumer)
    claims = {"sub": subject, "username": username, "role": role, "tenant_id": tenant}
    return JwtTokens(kong.jwt_secrets(), max_lifetime_seconds=3600).issue(key, claims, lifetime_seconds=ttl)


def local_subject(role: str) -> str:
    """The user id of local tokens of ``role``: the demo account of that role (so `profile` and the owner
    routes find it), or a fixed UUID for the service role, which has no account."""
    return (
        str(_demo_account(role)[0])
        if role in ("user", "admin")
        else str(uuid.uuid5(uuid.NAMESPACE_URL, f"storefront-local-{role}"))
    )


def local_username(role: str) -> str:
    """The username of local tokens of ``role``: the demo account's, ``local-service`` for the service role."""
    return _demo_account(role)[2] if role in ("user", "admin") else f"local-{role}"


def _demo_account(role: str) -> tuple[uuid.UUID, str, str, str, str]:
    from localdev.stack import DEMO_ACCOUNTS

    return next(account for account in DEMO_ACCOUNTS if account[4] == role)


def _tenant(value: str) -> str:
    """A tenant id for argparse: its error names the value instead of a lambda."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"TENANT must be a UUID such as {DEMO_TENANT}, not {value!r}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a signed local access token.")
    parser.add_argument("--role", choices=["user", "admin", "service"], default="user")
    parser.add_argument("--tenant", default=str(DEMO_TENANT), type=_tenant, help="the tenant's UUID")
    parser.add_argument("--sub", default=None, help="user id (default: a fixed id per role)")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (at most 3600; negative: expired)")
    args = parser.parse_args(argv)
    if args.ttl > 3600:
        parser.error("--ttl: access tokens live at most 3600 seconds (the contract's limit)")
    subject = args.sub or local_subject(args.role)
    print(make_token(args.role, args.tenant, subject, local_username(args.role), args.ttl))


if __name__ == "__main__":
    main()
