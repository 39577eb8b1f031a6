"""Users, refresh-token families, password resets and the audit trail, the same tests on SQLite and PostgreSQL
(and Oracle with ORACLE_DSN)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, select

from storefront.adapters.db.tables import AUTH_EVENTS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict
from storefront.domain.identity import Role
from storefront.domain.sessions import AuthEvent, AuthEventKind, PasswordReset, RefreshSession
from storefront.domain.users import Identity, Notifications, Profile, Settings, User, UserStatus

T0 = datetime(2026, 11, 29, 10, 0, 0, 250000, tzinfo=UTC)


def new_user(tenant: UUID, name: str = "ada", **changes: object) -> User:
    user = User.create(
        tenant, Identity(f"{name.title()}@Example.com", name, f"{name} Lovelace"), "argon2-hash", None, T0
    )
    return user.changed(str(user.id), T0, **changes) if changes else user


def stored(engine: Engine, user: User) -> User:
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(user)
        uow.commit()
    return user


def test_a_user_round_trips_with_profile_and_settings(engine):
    profile = Profile(
        display_name="Ada ✨",
        phone="+44 20 7946 0000",
        bio="Analyst of engines",
        avatar_url="https://example.com/ada.png",
        address=Address("12 St James's Square", "London", "SW1Y 4JH", "GB", line2=None),
    )
    settings = Settings("en-GB", "Europe/London", Notifications(email=False, sms=True, marketing=False))
    user = stored(engine, new_user(uuid4(), profile=profile, settings=settings, role=Role.ADMIN))
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.get(user.tenant_id, user.id) == user


def test_an_empty_profile_and_default_settings_are_stored_as_nothing_and_read_back(engine):
    user = stored(engine, new_user(uuid4()))
    with SqlUnitOfWork(engine) as uow:
        found = uow.users.get(user.tenant_id, user.id)
    assert found is not None
    assert (found.profile, found.settings, found.email_verified, found.last_login_at) == (
        Profile(),
        Settings(),
        False,
        None,
    )


@pytest.mark.parametrize("login", ["ada", "ADA", "ada@example.com", "Ada@EXAMPLE.com"])
def test_a_user_is_found_by_email_or_username_whatever_the_case(engine, login):
    user = stored(engine, new_user(uuid4()))
    with SqlUnitOfWork(engine) as uow:
        found = uow.users.find_by_login(user.tenant_id, login)
        assert found is not None
        assert found.id == user.id
        assert uow.users.find_by_login(uuid4(), login) is None


def test_emails_and_usernames_are_unique_per_tenant_case_insensitively(engine):
    tenant = uuid4()
    first = stored(engine, new_user(tenant))
    clash = User.create(tenant, Identity("ADA@example.com", "someone", "S"), "h", None, T0)
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.users.add(clash)
    clash = User.create(tenant, Identity("other@example.com", "ADA", "S"), "h", None, T0)
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.users.add(clash)
    stored(engine, User.create(uuid4(), first.identity, "h", None, T0))  # another tenant may


def test_update_is_optimistic_and_a_login_moves_no_version(engine):
    user = stored(engine, new_user(uuid4()))
    banned = user.changed("admin", T0 + timedelta(seconds=1), status=UserStatus.BANNED)
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.update(banned, 1)
        assert not uow.users.update(banned, 1)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.users.record_login(banned.logged_in(T0 + timedelta(minutes=1), "rehashed"))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        found = uow.users.get(user.tenant_id, user.id)
    assert found is not None
    assert (found.version, found.status, found.password_hash) == (2, UserStatus.BANNED, "rehashed")
    assert found.last_login_at == T0 + timedelta(minutes=1)


def test_a_deleted_user_is_not_found(engine):
    user = stored(engine, new_user(uuid4()))
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.update(user.changed("admin", T0, deleted_at=T0), 1)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.get(user.tenant_id, user.id) is None
        assert uow.users.find_by_login(user.tenant_id, "ada") is None


def session_of(user: User, family: UUID, token_hash: str) -> RefreshSession:
    return RefreshSession(uuid4(), user.tenant_id, user.id, family, token_hash, T0, T0 + timedelta(days=14))


def test_refresh_tokens_rotate_once_and_revoke_by_family_or_user(engine):
    user = stored(engine, new_user(uuid4()))
    family, other_family = uuid4(), uuid4()
    first, second, third = (session_of(user, f, uuid4().hex * 2) for f in (family, family, other_family))
    with SqlUnitOfWork(engine) as uow:
        for s in (first, second, third):
            uow.refresh_sessions.add(s)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.refresh_sessions.mark_used(first.id, T0)
        assert not uow.refresh_sessions.mark_used(first.id, T0), "used once only"
        assert uow.refresh_sessions.revoke_family(family, T0) == 2
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        found = uow.refresh_sessions.find(second.token_hash)
        assert found is not None
        assert found.revoked_at == T0
        assert not uow.refresh_sessions.mark_used(second.id, T0), "a revoked token is not rotated"
        assert uow.refresh_sessions.revoke_user(user.tenant_id, user.id, T0) == 1
        assert uow.refresh_sessions.revoke_user(uuid4(), user.id, T0) == 0
        uow.commit()


def test_a_password_reset_is_single_use(engine):
    user = stored(engine, new_user(uuid4()))
    reset = PasswordReset(uuid4(), user.tenant_id, user.id, "f" * 64, T0, T0 + timedelta(minutes=30))
    with SqlUnitOfWork(engine) as uow:
        uow.password_resets.add(reset)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.password_resets.find("f" * 64) == reset
        assert uow.password_resets.mark_used(reset.id, T0)
        assert not uow.password_resets.mark_used(reset.id, T0)
        uow.commit()


def test_setting_a_password_voids_the_user_s_other_resets(engine):
    user, other = stored(engine, new_user(uuid4())), stored(engine, new_user(uuid4(), "bob"))
    hashes = {"a" * 64: user, "b" * 64: user, "c" * 64: other}
    with SqlUnitOfWork(engine) as uow:
        for token_hash, owner in hashes.items():
            uow.password_resets.add(
                PasswordReset(uuid4(), owner.tenant_id, owner.id, token_hash, T0, T0 + timedelta(minutes=30))
            )
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.password_resets.void_user(user.tenant_id, user.id, T0) == 2
        assert uow.password_resets.void_user(user.tenant_id, user.id, T0) == 0
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        used = {h: uow.password_resets.find(h).used_at for h in hashes}  # type: ignore[union-attr]
    assert used == {"a" * 64: T0, "b" * 64: T0, "c" * 64: None}


def test_auth_events_commit_with_their_unit_and_vanish_without_it(engine):
    tenant = uuid4()
    kept = AuthEvent(uuid4(), tenant, None, AuthEventKind.LOGIN_FAILED, T0, "2001:db8::1", "no such account")
    with SqlUnitOfWork(engine) as uow:
        uow.auth_events.record(kept)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.auth_events.record(AuthEvent(uuid4(), tenant, None, AuthEventKind.LOGIN_FAILED, T0))
    with engine.connect() as connection:
        rows = connection.execute(select(AUTH_EVENTS).where(AUTH_EVENTS.c.TENANT_ID == tenant)).all()
    assert [(r.KIND, r.CLIENT_IP, r.DETAIL) for r in rows] == [("login_failed", "2001:db8::1", "no such account")]
