"""User lists on SQLite and PostgreSQL (and Oracle with ORACLE_DSN): every sort by cursor while users come and
go (last_login_at with users who never signed in), filters, the whole-word search and its terms, the capped
total, and the use cases' writes on the real tables."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, func, select

from storefront.adapters.cache.no_cache import NoListTotals
from storefront.adapters.db.tables import AUTH_EVENTS, REFRESH_TOKENS, USER_SEARCH_TERMS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.adapters.db.users import count_statement
from storefront.application import users
from storefront.application.ports import UserPorts
from storefront.application.queries import Page
from storefront.application.user_queries import USER_SORT_FIELDS, UserQuery
from storefront.domain.errors import Conflict, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.sessions import RefreshSession
from storefront.domain.users import Identity, User, UserEdit, UserStatus
from tests.fakes import FakeRateLimits, FixedClock

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
_numbers = itertools.count()


def ports(engine: Engine, revocations: FakeRateLimits | None = None) -> UserPorts:
    return UserPorts(
        unit_of_work=lambda: SqlUnitOfWork(engine),
        totals=NoListTotals(),
        revocations=revocations or FakeRateLimits(),
        clock=FixedClock(T0),
    )


def add(
    engine: Engine, tenant: UUID, *, name: str | None = None, full_name: str = "Test Person", mixed: bool = True
) -> User:
    """A user whose sort values repeat often (so the id tiebreak matters); one in three never signed in, one in
    five is banned, one in four is an admin (unless not ``mixed``: an active user)."""
    n = next(_numbers)
    name = name or f"u{n:06d}"
    user = User.create(
        tenant,
        Identity(f"{name}@Example{n % 2}.com", name, full_name),
        "h",
        None,
        T0 + timedelta(seconds=n % 3),
        role=Role.ADMIN if n % 4 == 0 and mixed else Role.USER,
    )
    if n % 3:
        user = user.logged_in(T0 + timedelta(minutes=n % 2))
    if n % 5 == 0 and mixed:
        user = user.changed("x", T0 + timedelta(seconds=n % 2), status=UserStatus.BANNED)
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(user)
        uow.commit()
    return user


def admin_of(tenant: UUID) -> Principal:
    return Principal(str(uuid4()), "root", Role.ADMIN, tenant)


def listed(engine: Engine, tenant: UUID, **query: object) -> Page[User]:
    return users.list_users(ports(engine), tenant, UserQuery(**query))  # type: ignore[arg-type]


@pytest.mark.parametrize("sort", USER_SORT_FIELDS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pages_cover_every_user_once_while_users_come_and_go(engine, sort, order):
    tenant = uuid4()
    initial = [add(engine, tenant) for _ in range(17)]
    doomed = initial[::4]
    seen: list[UUID] = []
    added: list[User] = []
    page = listed(engine, tenant, sort=sort, order=order, limit=4)
    while True:
        seen.extend(u.id for u in page.items)
        if page.next_cursor is None:
            break
        added.append(add(engine, tenant))
        if doomed:
            users.delete_user(ports(engine), admin_of(tenant), doomed.pop().id, None)
        page = listed(engine, tenant, sort=sort, order=order, limit=4, cursor=page.next_cursor)
    assert len(seen) == len(set(seen)), "no user twice"
    survivors = {u.id for u in initial} - {u.id for u in initial[::4]}
    assert survivors - set(doomed) <= set(seen), "every user present throughout was listed"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_users_who_never_signed_in_sort_lowest(engine, order):
    tenant = uuid4()
    made = [add(engine, tenant) for _ in range(9)]
    page = listed(engine, tenant, sort="last_login_at", order=order, limit=100)
    values = [u.last_login_at for u in page.items]
    never = [v for v in values if v is None]
    assert len(page.items) == 9
    assert never
    signed_in = sorted((v for v in values if v), reverse=order == "desc")
    assert values == ([*never, *signed_in] if order == "asc" else [*signed_in, *never])
    with_offset = listed(engine, tenant, sort="last_login_at", order=order, limit=3, offset=3)
    assert [u.id for u in with_offset.items] == [u.id for u in page.items[3:6]]
    assert {u.id for u in made} == {u.id for u in page.items}


def test_filters_and_the_capped_total(engine):
    tenant = uuid4()
    made = [add(engine, tenant) for _ in range(12)]
    banned = [u for u in made if u.status == UserStatus.BANNED]
    admins = [u for u in made if u.role == Role.ADMIN]
    page = listed(engine, tenant, status=UserStatus.BANNED)
    assert ({u.id for u in page.items}, page.total, page.total_exact) == ({u.id for u in banned}, len(banned), True)
    page = listed(engine, tenant, role=Role.ADMIN, limit=1)
    assert (page.total, page.has_next) == (len(admins), len(admins) > 1)
    assert listed(engine, uuid4()).total == 0


def test_the_search_finds_whole_words_of_username_email_and_full_name(engine):
    tenant = uuid4()
    ada = add(engine, tenant, name="ada.l", full_name="Ada Lovelace", mixed=False)
    grace = add(engine, tenant, name="grace", full_name="Grace Hopper", mixed=False)
    add(engine, uuid4(), name="ada", full_name="Ada Other")  # another tenant's
    for q, expected in [
        ("ada", {ada.id}),
        ("LOVELACE", {ada.id}),
        ("hopper grace", {grace.id}),
        ("example0 example1", set()),
        ("love", set()),
        ("ada hopper", set()),
    ]:
        for sort in ("created_at", "email"):
            page = listed(engine, tenant, text=q, sort=sort)
            assert ({u.id for u in page.items}, page.total) == (expected, len(expected)), (q, sort)
    both = listed(engine, tenant, text="com")
    assert both.total == 2
    assert listed(engine, tenant, text="ada", status=UserStatus.BANNED).total == 0
    assert listed(engine, tenant, text="ada", role=Role.USER).total == 1


def test_terms_follow_renames_and_deletes(engine):
    tenant = uuid4()
    ada = add(engine, tenant, name="ada", full_name="Ada Lovelace", mixed=False)
    admin = admin_of(tenant)
    users.update_user(ports(engine), admin, ada.id, UserEdit(full_name="Ada King"), None)
    assert listed(engine, tenant, text="king").total == 1
    assert listed(engine, tenant, text="lovelace").total == 0
    users.update_user(ports(engine), admin, ada.id, UserEdit(profile={"bio": "words not searched"}), None)
    assert listed(engine, tenant, text="searched").total == 0
    users.delete_user(ports(engine), admin, ada.id, None)
    assert listed(engine, tenant, text="king").total == 0
    with SqlUnitOfWork(engine) as uow:
        left = uow.read(
            select(func.count()).select_from(USER_SEARCH_TERMS).where(USER_SEARCH_TERMS.c.USER_ID == ada.id)
        )
        assert left.scalar_one() == 0


def test_a_search_alone_is_counted_from_its_terms(engine):
    tenant = uuid4()
    alone = str(count_statement(tenant, UserQuery(text="ada")).compile(engine))
    filtered = str(count_statement(tenant, UserQuery(text="ada", role=Role.USER)).compile(engine))
    assert ('"USERS"' in alone, '"USERS"' in filtered) == (False, True)


def test_a_foreign_cursor_is_refused(engine):
    tenant = uuid4()
    for _ in range(3):
        add(engine, tenant)
    page = listed(engine, tenant, limit=1)
    assert page.next_cursor is not None
    with pytest.raises(ValidationFailed):
        listed(engine, tenant, limit=1, sort="email", cursor=page.next_cursor)
    with pytest.raises(ValidationFailed):
        listed(engine, uuid4(), limit=1, cursor=page.next_cursor)


def test_emails_stay_unique_case_insensitively_through_an_edit(engine):
    tenant = uuid4()
    ada, bob = add(engine, tenant, name="ada"), add(engine, tenant, name="bob")
    with pytest.raises(Conflict):
        users.update_user(ports(engine), admin_of(tenant), bob.id, UserEdit(email=ada.identity.email.upper()), None)
    with pytest.raises(Conflict):
        users.update_user(ports(engine), admin_of(tenant), bob.id, UserEdit(username="ADA"), None)


def test_a_ban_on_the_real_tables_revokes_the_refresh_tokens_and_records_the_event(engine):
    tenant = uuid4()
    ada = add(engine, tenant, name="ada", mixed=False)
    session = RefreshSession(uuid4(), tenant, ada.id, uuid4(), uuid4().hex, T0, T0 + timedelta(days=1))
    with SqlUnitOfWork(engine) as uow:
        uow.refresh_sessions.add(session)
        uow.commit()
    revocations = FakeRateLimits()
    banned = users.ban_user(ports(engine, revocations), admin_of(tenant), ada.id, "abuse", "198.51.100.7")
    assert banned.status == UserStatus.BANNED
    with SqlUnitOfWork(engine) as uow:
        stored = uow.users.get(tenant, ada.id)
        assert stored is not None
        assert stored.status == UserStatus.BANNED
        token = uow.read(select(REFRESH_TOKENS.c.REVOKED_AT).where(REFRESH_TOKENS.c.ID == session.id)).scalar_one()
        assert token is not None
        kinds = uow.read(select(AUTH_EVENTS.c.KIND).where(AUTH_EVENTS.c.USER_ID == ada.id)).scalars().all()
        assert kinds == ["banned"]
    assert revocations.revoked_sessions == {(tenant, str(ada.id)): int(T0.timestamp() * 1000)}
