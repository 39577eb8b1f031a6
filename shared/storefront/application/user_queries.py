"""The users list query: which users of a tenant, in which order, which page (the paging of ``queries``).

Kept apart from ``queries`` so that a product function never loads the user domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from storefront.application.queries import (
    Keyset,
    Listing,
    SearchQuery,
    SortKind,
    SortValue,
    fingerprint,
    matching_digest,
)
from storefront.domain.identity import Role
from storefront.domain.users import User, UserStatus, login_key

# Every offered sort has its index (tables.USER_LIST_INDEXES); email and username sort case-insensitively,
# by the keys they are unique by.
USER_SORTS: dict[str, SortKind] = {
    "created_at": SortKind.TIMESTAMP,
    "updated_at": SortKind.TIMESTAMP,
    "email": SortKind.TEXT,
    "username": SortKind.TEXT,
    "last_login_at": SortKind.TIMESTAMP,
}
USER_SORT_FIELDS = tuple(USER_SORTS)
# A user who never signed in has no last_login_at: such users come first in ascending order, last in descending.
USER_NULLABLE_SORTS = frozenset({"last_login_at"})

_USER_SORT_VALUES: dict[str, Callable[[User], SortValue | None]] = {
    "created_at": lambda u: u.created_at,
    "updated_at": lambda u: u.updated_at,
    "email": lambda u: login_key(u.identity.email),
    "username": lambda u: login_key(u.identity.username),
    "last_login_at": lambda u: u.last_login_at,
}


def totals_scope(tenant_id: UUID) -> str:
    """The totals memo's scope of a tenant's users: every write to a user of the tenant makes it forget
    (the users use cases, and register)."""
    return f"users:{tenant_id}"


@dataclass(frozen=True, slots=True)
class UserQuery(SearchQuery):
    """Which live users of a tenant to list, in which order, and which page (``SearchQuery``); ``text`` searches
    username, email and full name (``storefront.domain.users.search_terms``)."""

    status: UserStatus | None = None
    role: Role | None = None

    def filters(self) -> dict[str, Any]:
        """The filters that define which users match, in canonical form."""
        return {
            "status": self.status.value if self.status is not None else None,
            "role": self.role.value if self.role is not None else None,
            "q": self.words or None,
        }

    def listing(self, tenant_id: UUID) -> Listing:
        """The paging view of this query for one tenant."""
        filters = self.filters()
        return Listing(
            fingerprint(tenant_id, self.sort, self.order, {**filters, "list": "users"}),
            USER_SORTS[self.sort],
            matching_digest(tenant_id, {**filters, "list": "users"}),
            nullable=self.sort in USER_NULLABLE_SORTS,
        )

    def keyset_of(self, user: User) -> Keyset:
        """Where ``user`` stands in this query's order."""
        return Keyset(_USER_SORT_VALUES[self.sort](user), user.id)
