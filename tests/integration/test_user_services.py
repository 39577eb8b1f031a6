"""The user repository's bulk methods on every backend (the service routes' batch, bulk-update and sync)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from storefront.adapters.db.tables import USER_SEARCH_TERMS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application.queries import Keyset
from storefront.domain.errors import Conflict
from storefront.domain.users import Identity, User, UserEdit

T0 = datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=UTC)


def made(tenant, n: int, at: datetime = T0) -> User:
    return User.create(tenant, Identity(f"User.{n}@Example.com", f"user-{n}", f"User {n}"), "!", "svc", at)


def test_bulk_insert_check_update_and_sync_users(engine):
    tenant = uuid4()
    users = [made(tenant, n, T0 + timedelta(seconds=n % 4)) for n in range(700)]  # more than one insert chunk
    with SqlUnitOfWork(engine) as uow:
        uow.users.add_many(users)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.taken_keys(tenant, "email", ["user.3@example.com", "nobody@example.com"]) == {
            "user.3@example.com"
        }
        assert uow.users.taken_keys(tenant, "username", ["user-699", "user-700"]) == {"user-699"}
        assert uow.users.taken_keys(uuid4(), "username", ["user-1"]) == set()
        found = uow.users.get_many(tenant, [u.id for u in users[:5]], lock=True)
        later = T0 + timedelta(minutes=1)
        edited = [found[u.id].edited(UserEdit(full_name=f"Renamed {n}"), "svc", later) for n, u in enumerate(users[:5])]
        uow.users.update_many([(u, 1) for u in edited])
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.get_many(tenant, [u.id for u in edited]) == {u.id: u for u in edited}
        words = uow.read(select(USER_SEARCH_TERMS.c.TERM).where(USER_SEARCH_TERMS.c.USER_ID == edited[0].id)).scalars()
        assert "renamed" in set(words)
        tail = uow.users.changes(tenant, Keyset(T0 + timedelta(seconds=3), UUID(int=2**128 - 1)), later, 100)
    assert [u.id for u in tail] == sorted((u.id for u in edited), key=str)


def test_a_taken_email_fails_the_whole_bulk_insert_and_a_stale_version_the_whole_update(engine):
    tenant = uuid4()
    first = made(tenant, 1)
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(first)
        uow.commit()
    clash = replace(made(tenant, 2), identity=Identity("USER.1@example.com", "someone", "Someone"))
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.users.add_many([made(tenant, 3), clash])
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.users.update_many([(first.edited(UserEdit(full_name="X"), "svc", T0), 5)])
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.taken_keys(tenant, "username", ["user-3"]) == set()
