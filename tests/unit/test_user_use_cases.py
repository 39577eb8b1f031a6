"""The users use cases against the fakes: who sees and edits whom, bans, deletes, sessions, totals."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from storefront.application import auth, users
from storefront.application.user_queries import UserQuery, totals_scope
from storefront.domain.errors import Conflict, ErrorCode, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.sessions import AuthEventKind, RefreshSession
from storefront.domain.users import NO_PASSWORD, Identity, User, UserEdit, UserStatus
from tests.fakes import FakeIdentity, FakeUsers

TENANT = UUID("00000000-0000-4000-8000-0000000000aa")


@pytest.fixture
def fake() -> FakeUsers:
    return FakeUsers()


def member(fake: FakeUsers, name: str = "ada", role: Role = Role.USER, tenant: UUID = TENANT) -> User:
    identity = Identity(f"{name}@example.com", name, f"{name.title()} Lovelace")
    return fake.add(User.create(tenant, identity, "v2$pw", None, fake.clock.now(), role=role))


def principal_of(user: User) -> Principal:
    return Principal(str(user.id), user.identity.username, user.role, user.tenant_id)


def session_of(user: User) -> RefreshSession:
    now = FakeUsers().clock.now()
    return RefreshSession(uuid4(), user.tenant_id, user.id, uuid4(), uuid4().hex, now, now.replace(year=2027))


def test_a_user_sees_their_own_account_and_another_users_id_is_not_found(fake):
    ada, bob = member(fake, "ada"), member(fake, "bob")
    assert users.get_user(fake.ports, principal_of(ada), ada.id) == ada
    with pytest.raises(NotFound):
        users.get_user(fake.ports, principal_of(ada), bob.id)
    with pytest.raises(NotFound):
        users.get_user(fake.ports, principal_of(ada), uuid4())


def test_an_admin_sees_any_user_of_the_tenant_and_none_of_another(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    stranger = member(fake, "eve", tenant=uuid4())
    assert users.get_user(fake.ports, principal_of(admin), ada.id) == ada
    with pytest.raises(NotFound):
        users.get_user(fake.ports, principal_of(admin), stranger.id)


def test_a_caller_whose_token_names_no_user_has_no_own_account(fake):
    service = Principal("batch-job", "batch", Role.SERVICE, TENANT)
    with pytest.raises(NotFound):
        users.own_id(service)
    ada = member(fake)
    assert users.own_id(principal_of(ada)) == ada.id


@pytest.mark.parametrize("field", ["role", "status", "email_verified"])
def test_a_user_setting_an_admin_field_is_refused_and_nothing_changes(fake, field):
    ada = member(fake)
    edits = {
        "role": UserEdit(role=Role.ADMIN),
        "status": UserEdit(status=UserStatus.BANNED),
        "email_verified": UserEdit(email_verified=True),
    }
    with pytest.raises(Forbidden) as caught:
        users.update_user(fake.ports, principal_of(ada), ada.id, edits[field], None)
    assert caught.value.details == {"field": field, "reason": "may be set by an admin only"}
    assert fake.state.users[ada.id] == ada


def test_a_user_edits_their_identity_profile_and_settings(fake):
    ada = member(fake)
    edit = UserEdit(full_name="Ada King", profile={"bio": "Analyst"}, settings={"notifications": {"sms": True}})
    changed = users.update_user(fake.ports, principal_of(ada), ada.id, edit, 1)
    assert (changed.identity.full_name, changed.profile.bio, changed.settings.notifications.sms, changed.version) == (
        "Ada King",
        "Analyst",
        True,
        2,
    )
    assert fake.state.users[ada.id] == changed
    assert changed.updated_by == str(ada.id)


def test_a_stale_version_is_a_conflict_with_the_current_version(fake):
    ada = member(fake)
    with pytest.raises(Conflict) as caught:
        users.update_user(fake.ports, principal_of(ada), ada.id, UserEdit(full_name="X"), 7)
    assert caught.value.details is not None
    assert caught.value.details["current_version"] == 1


def test_an_edit_naming_nothing_is_refused(fake):
    ada = member(fake)
    with pytest.raises(ValidationFailed) as caught:
        users.update_user(fake.ports, principal_of(ada), ada.id, UserEdit(), None)
    assert caught.value.code == ErrorCode.REQUIRED


def test_a_taken_email_is_a_conflict(fake):
    admin = member(fake, "root", Role.ADMIN)
    member(fake, "bob")
    with pytest.raises(Conflict):
        users.create_user(fake.ports, principal_of(admin), Identity("BOB@example.com", "robert", "Bob"), UserEdit())


def test_an_admin_creates_an_account_without_a_password_and_the_totals_forget(fake):
    admin = member(fake, "root", Role.ADMIN)
    fake.totals.recall(totals_scope(TENANT), "listing")
    edit = UserEdit(role=Role.ADMIN, profile={"bio": "New"}, email_verified=True)
    made = users.create_user(fake.ports, principal_of(admin), Identity("new@example.com", "newbie", "New Bie"), edit)
    assert (made.role, made.profile.bio, made.email_verified, made.version, made.password_hash) == (
        Role.ADMIN,
        "New",
        True,
        1,
        NO_PASSWORD,
    )
    assert made.created_by == made.updated_by == str(admin.id)
    assert fake.state.users[made.id] == made
    assert totals_scope(TENANT) not in fake.totals.generations


def test_a_ban_ends_every_session_at_once_and_is_recorded(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    first, second = session_of(ada), session_of(ada)
    fake.state.sessions = {first.id: first, second.id: second}
    banned = users.ban_user(fake.ports, principal_of(admin), ada.id, "spam", "203.0.113.9")
    assert banned.status == UserStatus.BANNED
    assert all(s.revoked_at is not None for s in fake.state.sessions.values())
    at = int(fake.clock.now().timestamp() * 1000)
    assert fake.revocations.revoked_sessions == {(TENANT, str(ada.id)): at}
    (event,) = fake.state.events
    assert (event.kind, event.user_id, event.client_ip, event.detail) == (
        AuthEventKind.BANNED,
        ada.id,
        "203.0.113.9",
        f"by {admin.id}: spam",
    )


def test_a_ban_is_idempotent_and_states_its_revocation_again(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    banned = users.ban_user(fake.ports, principal_of(admin), ada.id)
    fake.revocations.revoked_sessions.clear()
    fake.clock.advance(5)
    again = users.ban_user(fake.ports, principal_of(admin), ada.id)
    assert again == banned
    assert len(fake.state.events) == 1
    assert fake.revocations.revoked_sessions == {(TENANT, str(ada.id)): int(fake.clock.now().timestamp() * 1000)}


def test_a_ban_whose_revocation_cannot_be_stored_changes_nothing(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    session = session_of(ada)
    fake.state.sessions = {session.id: session}
    fake.revocations.down = True
    with pytest.raises(ServiceUnavailable):
        users.ban_user(fake.ports, principal_of(admin), ada.id)
    assert fake.state.users[ada.id] == ada
    assert fake.state.sessions[session.id].revoked_at is None
    assert fake.state.events == []


def test_unban_restores_the_account_and_is_idempotent(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    users.ban_user(fake.ports, principal_of(admin), ada.id)
    restored = users.unban_user(fake.ports, principal_of(admin), ada.id)
    assert restored.status == UserStatus.ACTIVE
    assert users.unban_user(fake.ports, principal_of(admin), ada.id) == restored
    assert [e.kind for e in fake.state.events] == [AuthEventKind.BANNED, AuthEventKind.UNBANNED]


@pytest.mark.parametrize(
    "act",
    [
        lambda ports, admin: users.ban_user(ports, admin, UUID(admin.user_id)),
        lambda ports, admin: users.unban_user(ports, admin, UUID(admin.user_id)),
        lambda ports, admin: users.update_user(ports, admin, UUID(admin.user_id), UserEdit(role=Role.USER), None),
        lambda ports, admin: users.update_user(
            ports, admin, UUID(admin.user_id), UserEdit(status=UserStatus.BANNED), None
        ),
    ],
)
def test_an_admin_cannot_ban_unban_or_demote_themselves(fake, act):
    admin = member(fake, "root", Role.ADMIN)
    with pytest.raises(Conflict):
        act(fake.ports, principal_of(admin))
    assert fake.state.users[admin.id] == admin


def test_an_admins_edit_to_status_banned_is_a_ban(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    session = session_of(ada)
    fake.state.sessions = {session.id: session}
    users.update_user(fake.ports, principal_of(admin), ada.id, UserEdit(status=UserStatus.BANNED), None)
    assert fake.state.sessions[session.id].revoked_at is not None
    assert (TENANT, str(ada.id)) in fake.revocations.revoked_sessions
    assert [e.kind for e in fake.state.events] == [AuthEventKind.BANNED]


def test_a_role_change_refuses_the_access_tokens_but_keeps_the_refresh_tokens(fake):
    admin, ada = member(fake, "root", Role.ADMIN), member(fake, "ada")
    session = session_of(ada)
    fake.state.sessions = {session.id: session}
    users.update_user(fake.ports, principal_of(admin), ada.id, UserEdit(role=Role.ADMIN), None)
    assert (TENANT, str(ada.id)) in fake.revocations.revoked_sessions
    assert fake.state.sessions[session.id].revoked_at is None
    assert fake.state.events == []


def test_an_edit_that_keeps_role_and_status_ends_no_session(fake):
    ada = member(fake)
    users.update_user(fake.ports, principal_of(ada), ada.id, UserEdit(full_name="Ada B"), None)
    assert fake.revocations.revoked_sessions == {}


def test_a_user_deletes_their_account_and_every_session_ends(fake):
    ada = member(fake)
    session = session_of(ada)
    fake.state.sessions = {session.id: session}
    users.delete_user(fake.ports, principal_of(ada), ada.id, 1)
    assert fake.state.users[ada.id].deleted_at is not None
    assert fake.state.sessions[session.id].revoked_at is not None
    assert (TENANT, str(ada.id)) in fake.revocations.revoked_sessions
    assert [e.kind for e in fake.state.events] == [AuthEventKind.DELETED]
    with pytest.raises(NotFound):
        users.get_user(fake.ports, principal_of(ada), ada.id)


def test_a_user_cannot_delete_another(fake):
    ada, bob = member(fake, "ada"), member(fake, "bob")
    with pytest.raises(NotFound):
        users.delete_user(fake.ports, principal_of(ada), bob.id, None)
    assert fake.state.users[bob.id] == bob


def test_the_list_remembers_its_total_until_a_user_changes(fake):
    admin = member(fake, "root", Role.ADMIN)
    for name in ("ada", "bob", "cyd"):
        member(fake, name)
    query = UserQuery(limit=2, role=Role.USER)
    first = users.list_users(fake.ports, TENANT, query)
    assert (first.total, first.has_next, [u.role for u in first.items]) == (3, True, [Role.USER, Role.USER])
    units = fake.units
    again = users.list_users(fake.ports, TENANT, query)
    assert again.total == 3
    assert fake.units == units + 1  # the page only: the count was remembered
    users.ban_user(fake.ports, principal_of(admin), first.items[0].id)
    assert users.list_users(fake.ports, TENANT, UserQuery(status=UserStatus.BANNED)).total == 1


def test_the_list_pages_by_cursor_with_users_who_never_signed_in(fake):
    people = [member(fake, f"user{n}") for n in range(5)]
    for n, person in enumerate(people[:2]):
        fake.state.users[person.id] = person.logged_in(fake.clock.now().replace(hour=n))
    for order in ("asc", "desc"):
        seen: list[UUID] = []
        page = users.list_users(fake.ports, TENANT, UserQuery(sort="last_login_at", order=order, limit=2))
        while True:
            seen += [u.id for u in page.items]
            if page.next_cursor is None:
                break
            page = users.list_users(
                fake.ports, TENANT, UserQuery(sort="last_login_at", order=order, limit=2, cursor=page.next_cursor)
            )
        assert sorted(seen) == sorted(p.id for p in people)
        logged = [p.id for p in people[:2]]
        assert (seen[-2:] if order == "asc" else seen[:2]) == (logged if order == "asc" else logged[::-1])


def test_a_registration_makes_the_user_totals_forget():
    identity = FakeIdentity()
    identity.totals.recall(totals_scope(TENANT), "listing")
    auth.register(identity.ports, TENANT, Identity("z@example.com", "zed", "Zed"), "a long passphrase!", None)
    assert totals_scope(TENANT) not in identity.totals.generations
