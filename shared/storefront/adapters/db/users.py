"""The user repository on SQLAlchemy Core: USERS, with the profile and settings as JSON documents, and the
words users are searched by in USER_SEARCH_TERMS."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, or_, select, update

from storefront.adapters.db.entity_rows import EntityRows
from storefront.adapters.db.errors import translated_errors
from storefront.adapters.db.lists import EntityList
from storefront.adapters.db.statements import Statements
from storefront.adapters.db.tables import USER_SEARCH_TERMS, USERS
from storefront.application.queries import Keyset, Window
from storefront.application.user_queries import USER_NULLABLE_SORTS, UserQuery
from storefront.domain.addresses import Address
from storefront.domain.identity import Role
from storefront.domain.users import (
    Identity,
    Notifications,
    Profile,
    Settings,
    User,
    UserStatus,
    login_key,
    search_terms,
)

USER_LISTS = EntityList(
    USERS,
    USER_SEARCH_TERMS,
    "USER",
    {
        "created_at": USERS.c.CREATED_AT,
        "updated_at": USERS.c.UPDATED_AT,
        "email": USERS.c.EMAIL_KEY,
        "username": USERS.c.USERNAME_KEY,
        "last_login_at": USERS.c.LAST_LOGIN_AT,
    },
    nullable_sorts=USER_NULLABLE_SORTS,
)


def _live(tenant_id: UUID) -> ColumnElement[bool]:
    return USER_LISTS.live(tenant_id)


def column_filters(query: UserQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms of the query's filters on USERS' own columns (status, role)."""
    terms: list[ColumnElement[bool]] = []
    if query.status is not None:
        terms.append(USERS.c.STATUS == query.status.value)
    if query.role is not None:
        terms.append(USERS.c.ROLE == query.role.value)
    return terms


def count_statement(tenant_id: UUID, query: UserQuery) -> Select[Any]:
    """SELECT how many users match the query, up to TOTAL_CAP + 1 (a search alone from its terms only)."""
    return USER_LISTS.count_statement(tenant_id, query.words, column_filters(query))


def page_statement(
    tenant_id: UUID, query: UserQuery, after: Keyset | None = None, *, counted: bool = True
) -> Select[Any]:
    """SELECT one page of users plus one and, when ``counted``, the capped count as MATCHES in the same round trip."""
    return USER_LISTS.page_statement(tenant_id, query, column_filters(query), after, counted=counted)


def terms_of(user: User) -> tuple[str, ...]:
    """The search terms a user is found by: those of its identity while it is live, none once deleted."""
    return () if user.deleted_at is not None else search_terms(user.identity)


def profile_document(profile: Profile) -> str | None:
    """The JSON stored for a profile (None for an empty one)."""
    if profile == Profile():
        return None
    data: dict[str, Any] = {
        "display_name": profile.display_name,
        "phone": profile.phone,
        "bio": profile.bio,
        "avatar_url": profile.avatar_url,
    }
    if profile.address is not None:
        a = profile.address
        data["address"] = {
            "line1": a.line1,
            "line2": a.line2,
            "city": a.city,
            "postal_code": a.postal_code,
            "country": a.country,
        }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def profile_of(document: str | None) -> Profile:
    """The profile a stored JSON document holds."""
    if not document:
        return Profile()
    data = json.loads(document)
    address = data.get("address")
    return Profile(
        display_name=data.get("display_name"),
        phone=data.get("phone"),
        bio=data.get("bio"),
        avatar_url=data.get("avatar_url"),
        address=Address(**address) if address else None,
    )


def settings_document(settings: Settings) -> str | None:
    """The JSON stored for settings (None for the defaults)."""
    if settings == Settings():
        return None
    n = settings.notifications
    data = {
        "locale": settings.locale,
        "timezone": settings.timezone,
        "notifications": {"email": n.email, "sms": n.sms, "marketing": n.marketing},
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def settings_of(document: str | None) -> Settings:
    """The settings a stored JSON document holds."""
    if not document:
        return Settings()
    data = json.loads(document)
    return Settings(
        locale=data["locale"], timezone=data["timezone"], notifications=Notifications(**data["notifications"])
    )


def to_row(user: User) -> dict[str, Any]:
    """The column values of a user."""
    i = user.identity
    return {
        "ID": user.id,
        "TENANT_ID": user.tenant_id,
        "CREATED_AT": user.created_at,
        "UPDATED_AT": user.updated_at,
        "CREATED_BY": user.created_by,
        "UPDATED_BY": user.updated_by,
        "DELETED_AT": user.deleted_at,
        "VERSION": user.version,
        "EMAIL": i.email,
        "EMAIL_KEY": login_key(i.email),
        "USERNAME": i.username,
        "USERNAME_KEY": login_key(i.username),
        "FULL_NAME": i.full_name,
        "ROLE": user.role.value,
        "STATUS": user.status.value,
        "EMAIL_VERIFIED": int(user.email_verified),
        "LAST_LOGIN_AT": user.last_login_at,
        "PASSWORD_HASH": user.password_hash,
        "PROFILE_DATA": profile_document(user.profile),
        "SETTINGS_DATA": settings_document(user.settings),
    }


def from_row(row: Any) -> User:
    """The user stored in a row."""
    return User(
        id=row.ID,
        tenant_id=row.TENANT_ID,
        identity=Identity(email=row.EMAIL, username=row.USERNAME, full_name=row.FULL_NAME),
        role=Role(row.ROLE),
        status=UserStatus(row.STATUS),
        email_verified=bool(row.EMAIL_VERIFIED),
        last_login_at=row.LAST_LOGIN_AT,
        password_hash=row.PASSWORD_HASH,
        profile=profile_of(row.PROFILE_DATA),
        settings=settings_of(row.SETTINGS_DATA),
        version=int(row.VERSION),
        created_at=row.CREATED_AT,
        updated_at=row.UPDATED_AT,
        created_by=row.CREATED_BY,
        updated_by=row.UPDATED_BY,
        deleted_at=row.DELETED_AT,
    )


class SqlUserRepository:
    """Users in the USERS table; every statement is scoped to one tenant."""

    def __init__(self, statements: Statements) -> None:
        self._statements = statements
        self._rows = EntityRows(statements, USER_LISTS, to_row, from_row, terms_of)

    def add(self, user: User) -> None:
        """Store a new user (Conflict when its email or username is taken in the tenant)."""
        self._rows.add(user)

    def search(
        self, tenant_id: UUID, query: UserQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[User]:
        """Up to ``query.limit + 1`` of the tenant's live users matching the query in its order, after ``after``
        (else at ``query.offset``), and how many match, counted up to TOTAL_CAP + 1 unless ``known_matches``."""
        return self._rows.search(tenant_id, query, column_filters(query), after, known_matches=known_matches)

    def get(self, tenant_id: UUID, user_id: UUID) -> User | None:
        """The live user of the tenant, or None."""
        return self._rows.get(tenant_id, user_id)

    def find_by_login(self, tenant_id: UUID, login: str) -> User | None:
        """The live user whose email or username is ``login`` (case-insensitively), or None."""
        key = login_key(login)
        return self._rows.one(
            select(USERS).where(_live(tenant_id), or_(USERS.c.EMAIL_KEY == key, USERS.c.USERNAME_KEY == key))
        )

    def find_by_email(self, tenant_id: UUID, email: str) -> User | None:
        """The live user with this email (case-insensitively), or None."""
        return self._rows.one(select(USERS).where(_live(tenant_id), USERS.c.EMAIL_KEY == login_key(email)))

    def update(self, user: User, expected_version: int) -> bool:
        """Store ``user`` if the stored row is live and still at ``expected_version``; False otherwise."""
        return self._rows.update(user, expected_version)

    def taken_keys(self, tenant_id: UUID, column: str, keys: Sequence[str]) -> set[str]:
        return self._rows.taken(USERS.c[f"{column.upper()}_KEY"], tenant_id, keys)

    def add_many(self, users: Sequence[User]) -> None:
        self._rows.add_many(users)

    def get_many(self, tenant_id: UUID, user_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, User]:
        return self._rows.get_many(tenant_id, user_ids, lock=lock)

    def update_many(self, changes: Sequence[tuple[User, int]]) -> None:
        self._rows.update_many(changes)

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[User]:
        return self._rows.changes(tenant_id, after, until, limit)

    def record_login(self, user: User) -> None:
        """Store the login time (and a rehashed password) without moving the version."""
        statement = (
            update(USERS)
            .where(USERS.c.ID == user.id, _live(user.tenant_id))
            .values(LAST_LOGIN_AT=user.last_login_at, PASSWORD_HASH=user.password_hash)
        )
        with translated_errors():
            self._statements.write(statement)
