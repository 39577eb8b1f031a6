"""The user service routes: batch creation of accounts, bulk updates with optimistic versions, and sync.

What a service may do to an account is what the account's owner may (``check_settable``): its identity, profile
and settings; role, status and email_verified stay an admin's (AUTH_003 per item), so a service never bans,
promotes or verifies anyone, and no bulk write has the session-ending effects of a ban. Accounts a service makes
have no password, as an admin's do: their owners set one with forgot-password and reset-password. Emails and
usernames are unique per tenant case-insensitively (``login_key``), deleted accounts' included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from storefront.application.bulk import (
    ItemResult,
    SyncPage,
    UpdateRules,
    create_batch,
    judge_updates,
    sync_listing,
    sync_page,
    update_batch,
)
from storefront.application.ports import IdentityUnitOfWork, UserPorts
from storefront.application.queries import Keyset
from storefront.application.user_queries import totals_scope
from storefront.application.users import new_user
from storefront.domain.errors import AppError, Conflict, Forbidden, NotFound
from storefront.domain.identity import Principal, Role
from storefront.domain.users import Identity, User, UserEdit, check_settable, login_key

LOGINS = ("email", "username")


@dataclass(frozen=True, slots=True)
class NewUser:
    """One item of a batch: the account's identity and what it starts with."""

    identity: Identity
    edit: UserEdit


@dataclass(frozen=True, slots=True)
class UserChange:
    """One item of a bulk update: the account, the version the caller read, the change."""

    id: UUID
    version: int
    edit: UserEdit


def _settable(principal: Principal, change: UserChange) -> UserChange:
    check_settable(principal.role, change.edit.named())  # AUTH_003 for role, status, email_verified
    return change


def _keys(user: User) -> dict[str, str]:
    return {name: login_key(getattr(user.identity, name)) for name in LOGINS}


def batch_create_users(ports: UserPorts, principal: Principal, items: Sequence[NewUser | AppError]) -> list[ItemResult]:
    """Create the valid accounts (email and username new in the tenant and in the batch); results in input order."""
    now = ports.clock.now()
    return create_batch(
        items,
        lambda new: new_user(principal, new.identity, new.edit, now),
        _keys,
        unit_of_work=ports.unit_of_work,
        held=lambda uow, wanted: _held(uow, principal, wanted),
        add_many=lambda uow, users: uow.users.add_many(users),
        created=lambda: ports.totals.forget(totals_scope(principal.tenant_id)),
    )


def _held(uow: IdentityUnitOfWork, principal: Principal, wanted: Mapping[str, list[str]]) -> dict[str, set[str]]:
    """Which of the ``wanted`` login keys other accounts of the tenant hold, by field."""
    return {name: uow.users.taken_keys(principal.tenant_id, name, wanted.get(name, [])) for name in LOGINS}


def bulk_update_users(
    ports: UserPorts, principal: Principal, items: Sequence[UserChange | AppError]
) -> list[ItemResult]:
    """Apply each change whose version is current: ``updated``, ``conflict`` (stale version, the current one in the
    error's details), or ``failed`` (not found, invalid, a field the caller may not set, email or username taken)."""
    return update_batch(
        items,
        lambda change: _settable(principal, change),
        unit_of_work=ports.unit_of_work,
        judge=lambda uow, changes: _judge(uow, principal, changes, ports.clock.now()),
        update_many=lambda uow, writes: uow.users.update_many(writes),
        updated=lambda _: ports.totals.forget(totals_scope(principal.tenant_id)),
    )


def _judge(
    uow: IdentityUnitOfWork, principal: Principal, changes: list[tuple[int, UserChange]], now: datetime
) -> tuple[dict[int, ItemResult], list[tuple[User, int]]]:
    """Each change's outcome, and the new versions to write with the versions they replace (rows locked)."""
    rules: UpdateRules[User, UserChange] = UpdateRules(
        revise=lambda u, c: _customer(u).edited(c.edit, principal.user_id, now),
        unique=_keys,
        held=lambda moved: _held(uow, principal, moved),
        missing=lambda: NotFound("User not found"),
        stale=_stale,
    )
    current = uow.users.get_many(principal.tenant_id, [c.id for _, c in changes], lock=True)
    return judge_updates(changes, current, rules)


def _customer(user: User) -> User:
    """The account, when a service may change it: a customer's. An admin's or a service's account is changed by
    an admin only (AUTH_003): a service that could change an admin's email could take the account over through
    a password reset."""
    if user.role is not Role.USER:
        raise Forbidden(
            "Only an admin changes this account",
            details={"field": "id", "reason": f"names an account with the {user.role.value} role"},
        )
    return user


def _stale(current_version: int) -> Conflict:
    details = {"reason": "the user was changed by someone else; read it again and retry"}
    return Conflict("Version conflict", details={**details, "current_version": current_version})


def sync_users(ports: UserPorts, tenant_id: UUID, cursor: str | None, limit: int, lag_seconds: float) -> SyncPage[User]:
    """The tenant's accounts changed after ``cursor`` (deleted ones too), oldest change first."""

    def read(after: Keyset | None, horizon: datetime, count: int) -> list[User]:
        with ports.unit_of_work() as uow:
            return uow.users.changes(tenant_id, after, horizon, count)

    return sync_page(
        sync_listing(tenant_id, "users"),
        cursor,
        limit,
        ports.clock.now(),
        lag_seconds,
        read,
        lambda u: Keyset(u.updated_at, u.id),
    )
