"""The users, profile and admin functions over HTTP: real handlers, the use cases on fakes (API Gateway mode)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest

from storefront import bootstrap
from storefront.domain.identity import Role
from storefront.domain.sessions import AuthEventKind
from storefront.domain.users import Identity, User, UserStatus
from tests.fakes import FakeUsers
from tests.unit.handlers import call, event, set_header
from tests.unit.test_address_rules import BAD_ADDRESSES
from tests.unit.test_address_rules import GOOD as GOOD_ADDRESS

TENANT = UUID("00000000-0000-4000-8000-000000000001")
# Every users function: (handler, sample event, path parameters it takes).
FUNCTIONS = [
    ("users.list_users.handler", "users/list_users.json"),
    ("users.create_user.handler", "users/create_user.json"),
    ("users.get_user.handler", "users/get_user.json"),
    ("users.replace_user.handler", "users/replace_user.json"),
    ("users.update_user.handler", "users/update_user.json"),
    ("users.delete_user.handler", "users/delete_user.json"),
    ("users.get_user_profile.handler", "users/get_user_profile.json"),
    ("users.replace_user_profile.handler", "users/replace_user_profile.json"),
    ("me.get_profile.handler", "me/get_profile.json"),
    ("me.replace_profile.handler", "me/replace_profile.json"),
    ("me.get_settings.handler", "me/get_settings.json"),
    ("me.replace_settings.handler", "me/replace_settings.json"),
    ("admin.list_users.handler", "admin/list_users.json"),
    ("admin.get_user.handler", "admin/get_user.json"),
    ("admin.replace_user.handler", "admin/replace_user.json"),
    ("admin.ban_user.handler", "admin/ban_user.json"),
    ("admin.unban_user.handler", "admin/unban_user.json"),
    ("admin.delete_user.handler", "admin/delete_user.json"),
]
SECRET_WORDS = ("password", "hash", "argon2", "v2$", "token", "jti", "refresh")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeUsers:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # the functions that end sessions need one
    users = FakeUsers()
    # One fake for the rate limits and the revocations: what a ban records, the next request's check reads.
    bootstrap.provide(users=users.ports, rate_limiter=users.revocations, revocations=users.revocations)
    return users


def member(fake: FakeUsers, name: str, role: Role = Role.USER, user_id: UUID | None = None) -> User:
    identity = Identity(f"{name}@demo.storefront.test", name, name.replace("-", " ").title())
    return fake.add(User.create(TENANT, identity, "v2$secret-hash", None, fake.clock.now(), role=role, user_id=user_id))


@pytest.fixture
def demo(fake: FakeUsers) -> tuple[User, User]:
    """The sample events' callers: the demo admin and the demo user."""
    admin = member(fake, "demo-admin", Role.ADMIN, UUID("9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0001"))
    user = member(fake, "demo-user", Role.USER, UUID("9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0002"))
    return admin, user


def as_caller(evt: dict[str, Any], user_id: UUID | str, role: str) -> dict[str, Any]:
    evt["requestContext"]["authorizer"].update(sub=str(user_id), principalId=str(user_id), role=role)
    return evt


def at(evt: dict[str, Any], user_id: UUID) -> dict[str, Any]:
    """The event aimed at another user id."""
    old = evt["pathParameters"]["user_id"]
    evt["pathParameters"] = {"user_id": str(user_id)}
    evt["path"] = evt["path"].replace(old, str(user_id))
    return evt


def with_body(name: str, body: Any) -> dict[str, Any]:
    return event(name, body=body)


@pytest.mark.parametrize(("handler", "sample"), FUNCTIONS)
def test_every_users_route_answers_its_sample_without_secrets(fake, demo, handler, sample):
    status, headers, body = call(handler, event(sample))
    assert status in (200, 201, 204), body
    text = json.dumps(body).lower() if body is not None else ""
    assert not any(word in text for word in SECRET_WORDS), (handler, text)
    assert "X-Request-ID" in headers


def test_a_user_reads_their_account_with_an_etag_and_another_users_is_404(fake, demo):
    admin, user = demo
    status, headers, body = call("users.get_user.handler", event("users/get_user.json"))
    assert (status, body["data"]["id"], headers["ETag"]) == (200, str(user.id), ['"v1"'])
    evt = set_header(event("users/get_user.json"), "If-None-Match", '"v1"')
    assert call("users.get_user.handler", evt)[0] == 304
    status, _, body = call("users.get_user.handler", at(event("users/get_user.json"), admin.id))
    assert (status, body["error"]["code"]) == (404, "BIZ_001")
    unknown = call("users.get_user.handler", at(event("users/get_user.json"), uuid4()))[2]
    assert unknown["error"] == {
        **body["error"],
        "request_id": unknown["error"]["request_id"],
        "timestamp": unknown["error"]["timestamp"],
    }


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"role": "not-a-role"}, "role"),  # refused before its value is judged
        ({"status": "active"}, "status"),
        ({"email_verified": True}, "email_verified"),
        ({"password": "a new long password"}, "password"),
        ({"password_hash": "$argon2id$..."}, "password_hash"),
        ({"tenant_id": str(uuid4())}, "tenant_id"),
    ],
)
def test_a_user_setting_a_field_they_may_not_is_403_naming_it(fake, demo, sent, field):
    _, user = demo
    for sample, handler, base in [
        ("users/update_user.json", "users.update_user.handler", {}),
        ("users/replace_user.json", "users.replace_user.handler", json.loads(event("users/replace_user.json")["body"])),
    ]:
        status, _, body = call(handler, with_body(sample, {**base, **sent}))
        assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (403, "AUTH_003", field)
    assert fake.state.users[user.id].version == 1


@pytest.mark.parametrize("field", ["role", "status", "email_verified", "password", "tenant_id"])
def test_account_fields_are_not_set_through_the_profile_or_settings(fake, demo, field):
    for sample, handler in [
        ("me/replace_profile.json", "me.replace_profile.handler"),
        ("me/replace_settings.json", "me.replace_settings.handler"),
        ("users/replace_user_profile.json", "users.replace_user_profile.handler"),  # even by an admin
    ]:
        status, _, body = call(handler, with_body(sample, {field: "admin"}))
        assert (status, body["error"]["details"]["field"]) == (403, field), (handler, body)


def test_an_admin_sets_role_status_and_email_verified_and_a_ban_is_recorded(fake, demo):
    _, user = demo
    evt = with_body(
        "admin/replace_user.json",
        {"email": "user@demo.storefront.test", "username": "demo-user", "full_name": "Demo", "role": "admin",
         "status": "banned", "email_verified": True},
    )  # fmt: skip
    status, headers, body = call("admin.replace_user.handler", evt)
    assert status == 200, body
    assert (body["data"]["role"], body["data"]["status"], body["data"]["email_verified"]) == ("admin", "banned", True)
    assert headers["ETag"] == ['"v2"']
    assert [e.kind for e in fake.state.events] == [AuthEventKind.BANNED]
    assert (TENANT, str(user.id)) in fake.revocations.revoked_sessions
    status, _, body = call(
        "admin.replace_user.handler",
        with_body("admin/replace_user.json", {"role": "x", "email": "a@b.co", "username": "abc", "full_name": "A"}),
    )
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (422, "VAL_002", "role")


def test_patch_merges_the_profile_and_an_empty_patch_is_400(fake, demo):
    _, _user = demo
    call(
        "users.update_user.handler", with_body("users/update_user.json", {"profile": {"bio": "One", "phone": "+1 555"}})
    )
    status, _, body = call("users.update_user.handler", with_body("users/update_user.json", {"profile": {"bio": None}}))
    assert status == 200, body
    assert (body["data"]["profile"]["bio"], body["data"]["profile"]["phone"]) == (None, "+1 555")
    status, _, body = call("users.update_user.handler", with_body("users/update_user.json", {}))
    assert (status, body["error"]["code"]) == (400, "VAL_001")
    status, _, body = call("users.update_user.handler", with_body("users/update_user.json", {"full_name": None}))
    assert (status, body["error"]["details"]["field"]) == (400, "full_name")
    status, _, body = call("users.update_user.handler", with_body("users/update_user.json", {"nickname": "x"}))
    assert (status, body["error"]["code"]) == (422, "VAL_002")


def test_read_only_fields_sent_back_are_ignored_and_a_stale_if_match_is_409(fake, demo):
    _, _user = demo
    current = call("users.get_user.handler", event("users/get_user.json"))[2]["data"]
    body = {k: v for k, v in current.items() if k not in ("role", "status", "email_verified")}
    status, _, answer = call(
        "users.replace_user.handler", with_body("users/replace_user.json", {**body, "full_name": "Demo U"})
    )
    assert (status, answer["data"]["full_name"], answer["data"]["version"]) == (200, "Demo U", 2)
    stale = set_header(with_body("users/update_user.json", {"full_name": "Again"}), "If-Match", '"v1"')
    status, _, answer = call("users.update_user.handler", stale)
    assert (status, answer["error"]["code"], answer["error"]["details"]["current_version"]) == (409, "BIZ_002", 2)


def test_a_new_account_has_a_location_an_etag_and_no_password(fake, demo):
    status, headers, body = call("users.create_user.handler", event("users/create_user.json"))
    assert status == 201, body
    assert headers["Location"] == [f"/KONGAPI/api/v1/users/{body['data']['id']}"]
    assert headers["ETag"] == ['"v1"']
    created = fake.state.users[UUID(body["data"]["id"])]
    assert created.password_hash == "!"
    status, _, body = call("users.create_user.handler", event("users/create_user.json"))
    assert (status, body["error"]["code"]) == (409, "BIZ_002")


@pytest.mark.parametrize(
    "handler_sample",
    [
        ("users.list_users.handler", "users/list_users.json"),
        ("users.create_user.handler", "users/create_user.json"),
        ("admin.list_users.handler", "admin/list_users.json"),
        ("admin.get_user.handler", "admin/get_user.json"),
        ("admin.replace_user.handler", "admin/replace_user.json"),
        ("admin.delete_user.handler", "admin/delete_user.json"),
        ("admin.ban_user.handler", "admin/ban_user.json"),
        ("admin.unban_user.handler", "admin/unban_user.json"),
    ],
)
def test_admin_routes_refuse_a_user_before_reading_the_body(fake, demo, handler_sample):
    handler, sample = handler_sample
    _, user = demo
    evt = as_caller(event(sample), user.id, "user")
    if evt.get("body"):
        evt["body"] = "{not json"
    status, _, body = call(handler, evt)
    assert (status, body["error"]["code"]) == (403, "AUTH_003")


def test_the_list_filters_searches_sorts_and_selects_fields(fake, demo):
    for name in ("ada", "grace", "linus"):
        member(fake, name)
    evt = event("admin/list_users.json")
    evt["queryStringParameters"] = {"q": "grace", "fields": "username,email"}
    evt["multiValueQueryStringParameters"] = {k: [v] for k, v in evt["queryStringParameters"].items()}
    status, _, body = call("admin.list_users.handler", evt)
    assert (status, body["data"]) == (200, [{"username": "grace", "email": "grace@demo.storefront.test"}])
    assert body["meta"]["pagination"]["total"] == 1
    for params, code in [({"sort": "password_hash"}, "VAL_002"), ({"fields": "password_hash"}, "VAL_002"),
                         ({"role": "root"}, "VAL_002"), ({"limit": "101"}, "VAL_003")]:  # fmt: skip
        evt["queryStringParameters"] = params
        evt["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()}
        status, _, body = call("admin.list_users.handler", evt)
        assert (status, body["error"]["code"]) == (422, code), params


def test_ban_and_unban_are_idempotent_and_an_admin_cannot_ban_themselves(fake, demo):
    admin, _user = demo
    for _ in range(2):
        status, _, body = call("admin.ban_user.handler", event("admin/ban_user.json"))
        assert (status, body["data"]["status"]) == (200, "banned")
    assert [e.kind for e in fake.state.events] == [AuthEventKind.BANNED]
    assert fake.state.events[0].detail == f"by {admin.id}: Spam in reviews"
    no_body = event("admin/unban_user.json", body=None)
    status, _, body = call("admin.unban_user.handler", no_body)
    assert (status, body["data"]["status"]) == (200, "active")
    status, _, body = call("admin.ban_user.handler", at(event("admin/ban_user.json"), admin.id))
    assert (status, body["error"]["code"]) == (409, "BIZ_002")
    assert fake.state.users[admin.id].status == UserStatus.ACTIVE


def test_my_profile_and_settings(fake, demo):
    _, _user = demo
    status, headers, body = call("me.replace_settings.handler", event("me/replace_settings.json"))
    assert (status, body["data"]["timezone"], headers["ETag"]) == (200, "Europe/Paris", ['"v2"'])
    status, _, body = call("me.get_settings.handler", event("me/get_settings.json"))
    assert body["data"] == {
        "locale": "fr",
        "timezone": "Europe/Paris",
        "notifications": {"email": True, "sms": False, "marketing": False},
    }
    status, _, body = call(
        "me.replace_settings.handler", with_body("me/replace_settings.json", {"timezone": "Mars/Base"})
    )
    assert (status, body["error"]["details"]["field"]) == (422, "timezone")
    status, _, body = call(
        "me.replace_profile.handler", with_body("me/replace_profile.json", {"address": {"city": "Paris"}})
    )
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (400, "VAL_001", "address.line1")
    status, _, body = call("me.get_profile.handler", as_caller(event("me/get_profile.json"), uuid4(), "service"))
    assert (status, body["error"]["code"]) == (404, "BIZ_001")


def test_a_deleted_account_is_gone_for_its_owner_too(fake, demo):
    _, _user = demo
    assert call("users.delete_user.handler", event("users/delete_user.json"))[0] == 204
    status, _, body = call("me.get_profile.handler", event("me/get_profile.json"))
    assert (status, body["error"]["code"]) == (401, "AUTH_001")  # its sessions ended with it
    later = event("me/get_profile.json")
    later["requestContext"]["authorizer"]["iat"] = str(int(fake.clock.now().timestamp()) + 60)
    status, _, body = call("me.get_profile.handler", later)  # a token issued afterwards names no account
    assert (status, body["error"]["code"]) == (404, "BIZ_001")
    assert [e.kind for e in fake.state.events] == [AuthEventKind.DELETED]


def test_a_banned_users_token_is_refused_on_its_next_request(fake, demo):
    assert call("me.get_profile.handler", event("me/get_profile.json"))[0] == 200
    assert call("admin.ban_user.handler", event("admin/ban_user.json"))[0] == 200
    status, _, body = call("me.get_profile.handler", event("me/get_profile.json"))  # the same token (iat before)
    assert (status, body["error"]["code"]) == (401, "AUTH_001")


@pytest.mark.parametrize(("changes", "field"), BAD_ADDRESSES)
def test_a_profile_address_that_breaks_a_rule_is_422(fake, demo, changes, field):
    body = {"display_name": "Demo", "address": {**GOOD_ADDRESS, **changes}}
    status, _, answer = call("me.replace_profile.handler", event("me/replace_profile.json", body=body))
    assert (status, answer["error"]["details"]["field"]) == (422, f"address.{field}"), answer
