"""The user service routes over HTTP: items parsed as POST /users and PATCH /users/{id} take them, and the sync
page's rows (an account, or a tombstone once deleted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from storefront.application.user_services import NewUser, UserChange
from storefront.domain.identity import Principal
from storefront.domain.users import User
from storefront.http.openapi import envelope
from storefront.http.service_routes import BulkChangeIn, SyncMeta, Tombstone, nested, synced
from storefront.http.users import UserCreateIn, UserOut, UserPatch, present_user


def user_item(principal: Principal) -> Callable[[dict[str, Any]], NewUser]:
    """How a batch item is read for ``principal``: an account as POST /users takes it (AUTH_003 for a field the
    caller may not set)."""

    def parse(item: dict[str, Any]) -> NewUser:
        body = UserCreateIn.model_validate(item)
        return NewUser(body.identity(), body.to_edit(principal))

    return parse


def user_change(principal: Principal) -> Callable[[dict[str, Any]], UserChange]:
    """How a bulk-update item is read for ``principal``: ``{id, version, changes}``, the changes as PATCH
    /users/{id} takes them."""

    def parse(item: dict[str, Any]) -> UserChange:
        parsed = BulkChangeIn.model_validate(item)
        patch = nested("changes", UserPatch.model_validate, parsed.changes)
        return UserChange(parsed.id, parsed.version, patch.to_edit(principal))

    return parse


class SyncedUserOut(UserOut):
    """A live account in a sync page."""

    deleted: Literal[False]


UserSyncEnvelope = envelope("UserSyncEnvelope", list[SyncedUserOut | Tombstone], SyncMeta)


def present_synced_user(user: User) -> dict[str, Any]:
    """An account as a sync page shows it: the whole account, or a tombstone once deleted."""
    return synced(user, present_user)
