"""User use cases: reading and editing accounts (their owner or an admin), the admin's lists, bans and deletes.

Who sees what: an admin any user of the tenant; anyone else only their own account. Another user's id is
404 BIZ_001, as an id that does not exist is, so ids cannot be probed. Who sets what:
``storefront.domain.users.check_settable`` (403 AUTH_003 naming the field). No use case here sets a password:
an account an admin opens has none until its owner sets one with forgot-password and reset-password.

Every write is optimistic (If-Match or the body's version; BIZ_002 when stale) and makes the tenant's
remembered user list totals forget after it commits. Sessions end where they must, written before the
change commits (a revocation that cannot be stored fails the request and nothing changes):

- a ban (``ban_user``, or an admin's edit to status banned): every refresh token of the user revoked, every
  access token issued until now refused (``Revocations.revoke_sessions``), and an AUTH_EVENT;
- a delete (soft): the same, and an AUTH_EVENT;
- a role change: every access token issued until now refused (tokens carry the role); a refresh then issues
  tokens with the new role.

Ban and unban are idempotent: banning a banned user changes nothing and records nothing, but states the
revocation again (so a ban whose revocation failed can simply be sent again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID, uuid4

from storefront.application.listing import remembered_page
from storefront.application.ports import IdentityUnitOfWork, UserPorts
from storefront.application.queries import Keyset, Page, Window
from storefront.application.user_queries import UserQuery, totals_scope
from storefront.domain.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.sessions import AuthEvent, AuthEventKind
from storefront.domain.users import (
    NO_PASSWORD,
    Identity,
    User,
    UserEdit,
    UserStatus,
    check_not_self,
    check_settable,
)
from storefront.observability import logger

DETAIL_MAX = 400  # AUTH_EVENTS.DETAIL


def list_users(ports: UserPorts, tenant_id: UUID, query: UserQuery) -> Page[User]:
    """One page of the tenant's live users, by offset or after a cursor (VAL_002 for a foreign cursor); the
    capped total is remembered per filter set until a user of the tenant changes."""
    query.validate()
    listing = query.listing(tenant_id)

    def read(after: Keyset | None, known_matches: int | None) -> Window[User]:
        with ports.unit_of_work() as uow:
            return uow.users.search(tenant_id, query, after, known_matches=known_matches)

    return remembered_page(ports.totals, totals_scope(tenant_id), listing, query, read)


def get_user(ports: UserPorts, principal: Principal, user_id: UUID) -> User:
    """The user, when the caller is that user or an admin of its tenant; BIZ_001 otherwise."""
    with ports.unit_of_work() as uow:
        return _visible(uow, principal, user_id)


def own_id(principal: Principal) -> UUID:
    """The id of the caller's own account; BIZ_001 when the token names no user (a service's subject)."""
    found = principal.subject_id
    if found is None:
        raise NotFound("User not found")
    return found


def create_user(ports: UserPorts, principal: Principal, identity: Identity, edit: UserEdit) -> User:
    """Open an account in the caller's tenant (admin), without a password: its owner sets one with
    forgot-password and reset-password. BIZ_002 when the email or username is taken (case-insensitively)."""
    user = new_user(principal, identity, edit, ports.clock.now())
    with ports.unit_of_work() as uow:
        uow.users.add(user)
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id))
    return user


def new_user(principal: Principal, identity: Identity, edit: UserEdit, now: datetime) -> User:
    """A new account of the caller's tenant without a password, with what ``edit`` sets at version 1; AUTH_003 for
    a field the caller may not set, VAL_xxx for a broken rule."""
    check_settable(principal.role, edit.named())
    user = User.create(principal.tenant_id, identity, NO_PASSWORD, principal.user_id, now, role=edit.role or Role.USER)
    rest = replace(edit, role=None)
    if rest.named():
        user = replace(user.edited(rest, principal.user_id, now), version=1)
    return user


def update_user(
    ports: UserPorts,
    principal: Principal,
    user_id: UUID,
    edit: UserEdit,
    expected_version: int | None,
    client_ip: str | None = None,
) -> User:
    """Change the fields of ``edit`` (its owner or an admin; AUTH_003 for a field the caller may not set,
    BIZ_002 when the version is stale or the new email or username is taken). An admin's change of status or
    role has the effects of a ban, an unban or a role change (module docstring); not on their own account."""
    check_settable(principal.role, edit.named())
    if not edit.named():
        raise ValidationFailed.single("body", ErrorCode.REQUIRED, "names no field to change")
    return _write(
        ports,
        principal,
        user_id,
        expected_version,
        client_ip,
        lambda current, now: current.edited(edit, principal.user_id, now),
    )


def delete_user(
    ports: UserPorts, principal: Principal, user_id: UUID, expected_version: int | None, client_ip: str | None = None
) -> None:
    """Soft-delete an account (its owner or an admin) and end every session of it: it is 404 and absent from
    lists afterwards; its email and username stay taken."""
    _write(
        ports,
        principal,
        user_id,
        expected_version,
        client_ip,
        lambda current, now: current.deleted(principal.user_id, now),
    )


def ban_user(
    ports: UserPorts, principal: Principal, user_id: UUID, reason: str | None = None, client_ip: str | None = None
) -> User:
    """Ban an account (admin; not their own): it cannot sign in, and every session ends at once."""
    return _set_status(ports, principal, user_id, UserStatus.BANNED, reason, client_ip)


def unban_user(
    ports: UserPorts, principal: Principal, user_id: UUID, reason: str | None = None, client_ip: str | None = None
) -> User:
    """Let a banned account sign in again (admin; not their own). Its old sessions stay ended."""
    return _set_status(ports, principal, user_id, UserStatus.ACTIVE, reason, client_ip)


def _set_status(
    ports: UserPorts,
    principal: Principal,
    user_id: UUID,
    status: UserStatus,
    reason: str | None,
    client_ip: str | None,
) -> User:
    return _write(
        ports,
        principal,
        user_id,
        None,
        client_ip,
        lambda user, now: user.changed(principal.user_id, now, status=status),
        reason,
        already=lambda user: user.status == status,
    )


def _write(
    ports: UserPorts,
    principal: Principal,
    user_id: UUID,
    expected_version: int | None,
    client_ip: str | None,
    change: Callable[[User, datetime], User],
    reason: str | None = None,
    already: Callable[[User], bool] | None = None,
) -> User:
    """Apply ``change`` to the visible user in one transaction, with its audit event and session ends;
    ``already``: the change is made when it says so of the current user (idempotent), and nothing is written
    (a ban states its revocation again)."""
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        current = _visible(uow, principal, user_id)
        if expected_version is not None and expected_version != current.version:
            raise _stale(current.version)
        if already is not None and already(current):
            check_not_self(principal.user_id, current, "change the status of")
            if current.status == UserStatus.BANNED:
                _refuse_access_tokens(ports, current, now)
            return current
        changed = change(current, now)
        if changed.role != current.role:
            check_not_self(principal.user_id, current, "change the role of")
        if changed.status != current.status:
            check_not_self(principal.user_id, current, "change the status of")
        if not uow.users.update(changed, current.version):
            raise _stale(None)
        kind = _event_kind(current, changed)
        if kind in (AuthEventKind.BANNED, AuthEventKind.DELETED):
            uow.refresh_sessions.revoke_user(current.tenant_id, current.id, now)
        if kind is not None:
            detail = f"by {principal.user_id}" + (f": {reason}" if reason else "")
            uow.auth_events.record(
                AuthEvent(uuid4(), current.tenant_id, current.id, kind, now, client_ip, detail[:DETAIL_MAX])
            )
            logger.info(
                "auth event",
                extra={"kind": kind.value, "user_id": str(current.id), "actor": principal.user_id},
            )
        if kind in (AuthEventKind.BANNED, AuthEventKind.DELETED) or changed.role != current.role:
            _refuse_access_tokens(ports, current, now)  # before the commit: no ban without its revocation
        uow.commit()
    ports.totals.forget(totals_scope(principal.tenant_id))
    return changed


def _event_kind(before: User, after: User) -> AuthEventKind | None:
    """What the audit trail records for a write: a delete, a ban, an unban, or nothing."""
    if after.deleted_at is not None and before.deleted_at is None:
        return AuthEventKind.DELETED
    if after.status != before.status:
        return AuthEventKind.BANNED if after.status == UserStatus.BANNED else AuthEventKind.UNBANNED
    return None


def _refuse_access_tokens(ports: UserPorts, user: User, now: datetime) -> None:
    ports.revocations.revoke_sessions(user.tenant_id, str(user.id), int(now.timestamp() * 1000))


def _visible(uow: IdentityUnitOfWork, principal: Principal, user_id: UUID) -> User:
    """The user if the caller may see it: an admin any live user of the tenant, anyone else only themselves.
    Another user's id is not even read: it is answered as an id that does not exist."""
    if not principal.may_reach(user_id):
        raise NotFound("User not found")
    user = uow.users.get(principal.tenant_id, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def _stale(current_version: int | None) -> Conflict:
    details: dict[str, object] = {"reason": "the user was changed by someone else; read it again and retry"}
    if current_version is not None:
        details["current_version"] = current_version
    return Conflict("Version conflict", details=details)
