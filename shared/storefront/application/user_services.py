"""The user service routes: batch creation of accounts, bulk updates with optimistic versions, and sync.

What a service may do to an account is what the account's owner may (``check_settable``): its identity, profile
and settings; role, status and email_verified stay an admin's (AUTH_003 per item), so a service never bans,
promotes or verifies anyone, and no bulk write has the session-ending effects of a ban. Accounts a service makes
have no password, as an admin's do: their owners set one with forgot-password and reset-password. Emails and
usernames are unique per tenant case-insensitively (``login_key``), deleted accounts' included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from storefront.application.bulk import (
    ItemResult,
    SyncPage,
    check_item_count,
    failed,
    first_of_each,
    retrying,
    sync_listing,
    sync_page,
    taken,
)
from storefront.application.ports import IdentityUnitOfWork, UserPorts
from storefront.application.queries import Keyset
from storefront.application.user_queries import totals_scope
from storefront.application.users import new_user
from storefront.domain.errors import AppError, Conflict, NotFound, ValidationFailed
from storefront.domain.identity import Principal
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


def _keys(user: User) -> dict[str, str]:
    return {name: login_key(getattr(user.identity, name)) for name in LOGINS}


def batch_create_users(ports: UserPorts, principal: Principal, items: Sequence[NewUser | AppError]) -> list[ItemResult]:
    """Create the valid accounts (email and username new in the tenant and in the batch); results in input order."""
    check_item_count(len(items))
    now = ports.clock.now()
    results: dict[int, ItemResult] = {}
    candidates: list[tuple[int, User]] = []
    for index, item in enumerate(items):
        if isinstance(item, AppError):
            results[index] = failed(index, item)
            continue
        try:
            candidates.append((index, new_user(principal, item.identity, item.edit, now)))
        except AppError as refused:
            results[index] = failed(index, refused)
    candidates, repeated = first_of_each(candidates, _keys)
    results.update(repeated)

    def insert() -> dict[int, ItemResult]:
        outcome: dict[int, ItemResult] = {}
        with ports.unit_of_work() as uow:
            held = _held(uow, principal, [u for _, u in candidates])
            fresh = []
            for index, user in candidates:
                clash = next((name for name, key in _keys(user).items() if key in held[name]), None)
                if clash is None:
                    fresh.append((index, user))
                else:
                    outcome[index] = failed(index, taken(clash))
            uow.users.add_many([u for _, u in fresh])
            uow.commit()
        outcome.update((i, ItemResult(i, "created", u.id)) for i, u in fresh)
        return outcome

    if candidates:
        results.update(retrying(insert))
        ports.totals.forget(totals_scope(principal.tenant_id))
    return [results[i] for i in range(len(items))]


def _held(uow: IdentityUnitOfWork, principal: Principal, users: Sequence[User]) -> dict[str, set[str]]:
    """The login keys of ``users`` other accounts of the tenant hold, by field."""
    return {
        name: uow.users.taken_keys(principal.tenant_id, name, [_keys(u)[name] for u in users]) if users else set()
        for name in LOGINS
    }


def bulk_update_users(
    ports: UserPorts, principal: Principal, items: Sequence[UserChange | AppError]
) -> list[ItemResult]:
    """Apply each change whose version is current: ``updated``, ``conflict`` (stale version, the current one in the
    error's details), or ``failed`` (not found, invalid, a field the caller may not set, email or username taken)."""
    check_item_count(len(items))
    results: dict[int, ItemResult] = {}
    changes: list[tuple[int, UserChange]] = []
    for index, item in enumerate(items):
        try:
            if isinstance(item, AppError):
                raise item
            check_settable(principal.role, item.edit.named())
            changes.append((index, item))
        except AppError as refused:
            results[index] = failed(index, refused)
    changes, repeated = first_of_each(changes, lambda c: {"id": str(c.id)})
    results.update(repeated)

    def apply() -> dict[int, ItemResult]:
        with ports.unit_of_work() as uow:
            outcome, writes = _judge(uow, principal, changes, ports.clock.now())
            uow.users.update_many(writes)
            uow.commit()
        return outcome

    if changes:
        results.update(retrying(apply))
        ports.totals.forget(totals_scope(principal.tenant_id))
    return [results[i] for i in range(len(items))]


def _judge(
    uow: IdentityUnitOfWork, principal: Principal, changes: list[tuple[int, UserChange]], now: datetime
) -> tuple[dict[int, ItemResult], list[tuple[User, int]]]:
    """Each change's outcome, and the new versions to write with the versions they replace (rows locked)."""
    current = uow.users.get_many(principal.tenant_id, [c.id for _, c in changes], lock=True)
    outcome: dict[int, ItemResult] = {}
    revised: list[tuple[int, User, User]] = []
    for index, change in changes:
        user = current.get(change.id)
        if user is None:
            outcome[index] = failed(index, NotFound("User not found"))
        elif user.version != change.version:
            details = {"reason": "the user was changed by someone else; read it again and retry"}
            conflict = Conflict("Version conflict", details={**details, "current_version": user.version})
            outcome[index] = ItemResult(index, "conflict", user.id, conflict)
        else:
            try:
                revised.append((index, user, user.edited(change.edit, principal.user_id, now)))
            except ValidationFailed as invalid:
                outcome[index] = failed(index, invalid)
    moved = [new for _, old, new in revised if _keys(new) != _keys(old)]
    held = _held(uow, principal, moved)
    claimed: dict[str, set[str]] = {name: set() for name in LOGINS}
    writes: list[tuple[User, int]] = []
    for index, old, new in revised:
        before, after = _keys(old), _keys(new)
        clash = next(
            (n for n in LOGINS if after[n] != before[n] and (after[n] in held[n] or after[n] in claimed[n])), None
        )
        if clash is not None:
            outcome[index] = failed(index, taken(clash))
            continue
        for name in LOGINS:
            claimed[name].add(after[name])
        writes.append((new, old.version))
        outcome[index] = ItemResult(index, "updated", new.id)
    return outcome, writes


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
