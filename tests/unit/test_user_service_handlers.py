"""The user service routes' handlers against the fakes: what a service may do to accounts, item by item."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID, uuid4

import pytest

from storefront import bootstrap
from storefront.application.service_keys import issue_service_key
from storefront.domain.identity import Role
from storefront.domain.users import Identity, User
from tests.fakes import FakeServiceKeyStore, FakeUsers
from tests.unit.handlers import call, event, set_header

TENANT = UUID("00000000-0000-4000-8000-000000000001")
BATCH, BULK, SYNC = "services.batch_users.handler", "services.bulk_update_users.handler", "services.sync_users.handler"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeUsers, str]:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("SYNC_LAG_SECONDS", "0")
    users, keys = FakeUsers(), FakeServiceKeyStore()
    key = issue_service_key(keys.ports, TENANT, "demo-service", "test").key
    bootstrap.provide(users=users.ports, service_keys=keys.ports, rate_limiter=users.revocations)
    return users, key


def request(name: str, key: str, **changes: Any) -> dict[str, Any]:
    return set_header(event(f"services/{name}.json", **changes), "X-API-Key", key)


def account(fake: FakeUsers, name: str) -> User:
    identity = Identity(f"{name}@example.com", name, name.title())
    return fake.add(User.create(TENANT, identity, "!", None, fake.clock.now()))


def new(name: str, **extra: Any) -> dict[str, Any]:
    return {"email": f"{name}@example.com", "username": name, "full_name": name.title(), **extra}


def test_a_batch_opens_the_valid_accounts_and_reports_the_others(service):
    fake, key = service
    account(fake, "taken")
    items = [
        new("grace", profile={"display_name": "Grace"}),
        new("x"),  # username too short
        new("ada", role="admin"),  # an admin's field
        new("GRACE"),  # the same email and username as item 0, case-insensitively
        {**new("other"), "email": "TAKEN@example.com"},  # held by an account of the tenant
        new("linus", password="correct horse battery"),  # never settable
    ]
    status, _, body = call(BATCH, request("batch_users", key, body={"items": items}))
    assert status == 200, body
    results = body["data"]["results"]
    assert [r["status"] for r in results] == ["created", "failed", "failed", "failed", "failed", "failed"]
    codes = [r.get("error", {}).get("code") for r in results]
    assert codes == [None, "VAL_003", "AUTH_003", "BIZ_002", "BIZ_002", "AUTH_003"]
    assert results[4]["error"]["details"]["field"] == "email"
    grace = fake.state.users[UUID(results[0]["id"])]
    assert (grace.role, grace.password_hash, grace.profile.display_name, grace.version) == (Role.USER, "!", "Grace", 1)


def test_a_bulk_update_changes_identity_but_never_role_or_status(service):
    fake, key = service
    ada, bob = account(fake, "ada"), account(fake, "bob")
    items = [
        {"id": str(ada.id), "version": 1, "changes": {"full_name": "Ada King", "profile": {"bio": "Analyst"}}},
        {"id": str(bob.id), "version": 1, "changes": {"status": "banned"}},
        {"id": str(bob.id), "version": 7, "changes": {"full_name": "Bob"}},
        {"id": str(uuid4()), "version": 1, "changes": {"full_name": "Nobody"}},
        {"id": str(bob.id), "version": 1, "changes": {"email": "ADA@example.com"}},
    ]
    status, _, body = call(BULK, request("bulk_update_users", key, body={"items": items}))
    assert status == 200, body
    results = body["data"]["results"]
    assert [r["status"] for r in results] == ["updated", "failed", "conflict", "failed", "failed"]
    assert [r.get("error", {}).get("code") for r in results[1:]] == ["AUTH_003", "BIZ_002", "BIZ_001", "BIZ_002"]
    assert results[2]["error"]["details"]["current_version"] == 1
    assert fake.state.users[ada.id].identity.full_name == "Ada King"
    assert fake.state.users[bob.id].version == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE])
def test_a_bulk_update_never_changes_an_admins_or_a_services_account(service, role):
    """Outside pass: a service changed an admin's email, then took the account over with a password reset."""
    fake, key = service
    chief = account(fake, "chief")
    fake.state.users[chief.id] = dataclasses.replace(chief, role=role)
    items = [{"id": str(chief.id), "version": 1, "changes": {"email": "attacker@evil.example"}}]
    status, _, body = call(BULK, request("bulk_update_users", key, body={"items": items}))
    assert status == 200, body
    [result] = body["data"]["results"]
    assert (result["status"], result["error"]["code"]) == ("failed", "AUTH_003")
    assert fake.state.users[chief.id].identity.email == "chief@example.com"


def test_a_sync_page_shows_accounts_and_tombstones_without_secrets(service):
    fake, key = service
    live, gone = account(fake, "live"), account(fake, "gone")
    fake.clock.advance(1)
    fake.state.users[gone.id] = gone.deleted("admin", fake.clock.now())
    status, _, body = call(SYNC, request("sync_users", key))
    assert status == 200, body
    assert [(row["id"], row["deleted"]) for row in body["data"]] == [(str(live.id), False), (str(gone.id), True)]
    assert "password" not in str(body).lower()
    assert body["data"][1] == {"id": str(gone.id), "deleted": True, "deleted_at": "2026-11-24T10:00:01.000Z"}
