"""Users, profile and admin routes through the local gateway, in Kong mode and in API Gateway mode, with the demo
accounts and tokens from login: owners and admins, mass assignment refused, lists, bans."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from localdev.gateway_process import running_gateway
from localdev.stack import DEMO_ACCOUNTS
from tests.e2e.conftest import Client, token

ADMIN_ID, USER_ID = str(DEMO_ACCOUNTS[0][0]), str(DEMO_ACCOUNTS[1][0])
SECRET_WORDS = ("password", "hash", "argon2", "refresh_token", "access_token", "jti")


# Every request here comes from 127.0.0.1, and public/auth/* (register, login, refresh) allows 10 a minute per
# address: these tests run on gateways of their own with the limits raised, as the session tests do.
RAISED = {"RATE_LIMITS": "1000/minute,10000/hour,100000/day"}


@pytest.fixture(scope="module", params=["kong", "apigw"])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Client]]:
    """A gateway in each mode with the rate limits raised (this module's own, shadowing the shared one)."""
    folder = tmp_path_factory.mktemp(f"users-{request.param}")
    with running_gateway(request.param, f"sqlite:///{folder / 'users.db'}", folder / "gateway.log", RAISED) as port:
        yield request.param, Client(port)


def login(client: Client, name: str, password: str) -> dict[str, Any]:
    reply = client.call("POST", "/public/auth/login", body={"login": name, "password": password})
    assert reply.status == 200, reply.json
    return dict(reply.json["data"])


def demo_user(client: Client) -> str:
    return str(login(client, "demo-user", "storefront-demo-user")["access_token"])


def demo_admin(client: Client) -> str:
    return str(login(client, "demo-admin", "storefront-demo-admin")["access_token"])


def new_member(client: Client, admin: str, word: str = "") -> dict[str, Any]:
    name = f"e2e{uuid.uuid4().hex[:10]}"
    body = {"email": f"{name}@example.com", "username": name, "full_name": f"E2E {word} Member".replace("  ", " ")}
    reply = client.call("POST", "/users", token=admin, body=body)
    assert reply.status == 201, reply.json
    return dict(reply.json["data"])


def registered(client: Client) -> tuple[dict[str, Any], str]:
    """A self-registered account and its password."""
    name = f"e2e{uuid.uuid4().hex[:10]}"
    password = "an e2e passphrase of some length"
    reply = client.call(
        "POST",
        "/public/auth/register",
        body={"email": f"{name}@example.com", "username": name, "password": password, "full_name": "E2E Banned"},
    )
    assert reply.status == 201, reply.json
    return dict(reply.json["data"]), password


def test_a_user_reads_and_edits_their_own_account_and_another_users_id_is_404(gateway):
    _, client = gateway
    user = demo_user(client)
    own = client.call("GET", f"/users/{USER_ID}", token=user)
    assert (own.status, own.json["data"]["username"]) == (200, "demo-user")
    etag = own.headers["etag"]
    assert client.call("GET", f"/users/{USER_ID}", token=user, headers={"If-None-Match": etag}).status == 304
    for method, body in (("GET", None), ("PATCH", {"full_name": "Mallory"}), ("DELETE", None)):
        other = client.call(method, f"/users/{ADMIN_ID}", token=user, body=body)
        assert (other.status, other.code) == (404, "BIZ_001"), method
    changed = client.call(
        "PATCH",
        f"/users/{USER_ID}",
        token=user,
        body={"profile": {"bio": "Edited end to end"}},
        headers={"Content-Type": "application/merge-patch+json", "If-Match": etag},
    )
    assert changed.status == 200, changed.json
    assert changed.json["data"]["profile"]["bio"] == "Edited end to end"
    stale = client.call("PATCH", f"/users/{USER_ID}", token=user, body={"full_name": "X"}, headers={"If-Match": etag})
    assert (stale.status, stale.code) == (409, "BIZ_002")


@pytest.mark.parametrize(
    "sent",
    [{"role": "admin"}, {"status": "active"}, {"email_verified": True}, {"password": "a brand new password"},
     {"tenant_id": "00000000-0000-4000-8000-000000000002"}],
)  # fmt: skip
def test_a_user_setting_a_privileged_field_is_403_naming_it_in_both_modes(gateway, sent):
    _, client = gateway
    user = demo_user(client)
    (field,) = sent
    for method, path in (("PATCH", f"/users/{USER_ID}"), ("PUT", "/profile"), ("PUT", "/profile/settings")):
        reply = client.call(method, path, token=user, body=sent)
        assert (reply.status, reply.code, reply.json["error"]["details"]["field"]) == (403, "AUTH_003", field), path
    assert client.call("GET", f"/users/{USER_ID}", token=user).json["data"]["role"] == "user"


def test_a_user_is_refused_the_admin_routes(gateway):
    _, client = gateway
    user = demo_user(client)
    for method, path in (
        ("GET", "/users"),
        ("POST", "/users"),
        ("GET", "/admin/users"),
        ("GET", f"/admin/users/{USER_ID}"),
        ("POST", f"/admin/users/{ADMIN_ID}/ban"),
    ):
        reply = client.call(method, path, token=user, body={} if method == "POST" else None)
        assert (reply.status, reply.code) == (403, "AUTH_003"), path


def test_an_admin_lists_searches_and_pages_users_by_cursor(gateway):
    _, client = gateway
    admin = demo_admin(client)
    word = f"w{uuid.uuid4().hex[:8]}"
    made = {new_member(client, admin, word)["id"] for _ in range(5)}
    seen: list[str] = []
    path = f"/admin/users?q={word}&limit=2&sort=username&order=asc"
    page = client.call("GET", path, token=admin)
    assert page.json["meta"]["pagination"]["total"] == 5
    while True:
        assert page.status == 200, page.json
        seen += [u["id"] for u in page.json["data"]]
        cursor = page.json["meta"]["pagination"]["next_cursor"]
        if cursor is None:
            break
        page = client.call("GET", f"{path}&cursor={cursor}", token=admin)
    assert (len(seen), set(seen)) == (5, made)
    never = client.call("GET", f"/users?q={word}&sort=last_login_at&order=desc&fields=id,last_login_at", token=admin)
    assert {u["last_login_at"] for u in never.json["data"]} == {None}
    foreign = client.call("GET", f"/admin/users?q={word}&limit=2&sort=email&cursor={cursor or 'x'}", token=admin)
    assert (foreign.status, foreign.code) == (422, "VAL_002")
    admins = client.call("GET", "/admin/users?role=admin", token=admin).json["data"]
    assert ADMIN_ID in {u["id"] for u in admins}
    assert {u["role"] for u in admins} == {"admin"}


def test_a_ban_refuses_the_users_login_and_refresh_and_unban_restores_login(gateway):
    _, client = gateway
    admin = demo_admin(client)
    account, password = registered(client)
    pair = login(client, account["username"], password)
    banned = client.call("POST", f"/admin/users/{account['id']}/ban", token=admin, body={"reason": "e2e"})
    assert (banned.status, banned.json["data"]["status"]) == (200, "banned")
    again = client.call("POST", f"/admin/users/{account['id']}/ban", token=admin)
    assert (again.status, again.json["data"]["version"]) == (200, banned.json["data"]["version"])
    refresh = client.call("POST", "/public/auth/refresh", body={"refresh_token": pair["refresh_token"]})
    assert (refresh.status, refresh.code) == (401, "AUTH_001")
    refused = client.call("POST", "/public/auth/login", body={"login": account["username"], "password": password})
    assert (refused.status, refused.code) == (401, "AUTH_001")
    listed = client.call("GET", f"/admin/users?status=banned&q={account['username']}", token=admin)
    assert [u["id"] for u in listed.json["data"]] == [account["id"]]
    unbanned = client.call("POST", f"/admin/users/{account['id']}/unban", token=admin)
    assert (unbanned.status, unbanned.json["data"]["status"]) == (200, "active")
    assert login(client, account["username"], password)["access_token"]
    self_ban = client.call("POST", f"/admin/users/{ADMIN_ID}/ban", token=admin)
    assert (self_ban.status, self_ban.code) == (409, "BIZ_002")


def test_a_banned_users_unexpired_access_token_is_refused_on_its_next_request(gateway):
    _, client = gateway
    admin = demo_admin(client)
    account, password = registered(client)
    access = login(client, account["username"], password)["access_token"]
    assert client.call("GET", "/profile", token=access).status == 200
    assert client.call("POST", f"/admin/users/{account['id']}/ban", token=admin).status == 200
    refused = client.call("GET", "/profile", token=access)
    assert (refused.status, refused.code) == (401, "AUTH_001")


def test_my_profile_and_settings_with_their_etag(gateway):
    _, client = gateway
    admin = demo_admin(client)
    member = new_member(client, admin)
    mine = token("user", sub=member["id"])
    profile = client.call("GET", "/profile", token=mine)
    assert (profile.status, profile.json["data"]["bio"]) == (200, None)
    put = client.call(
        "PUT", "/profile", token=mine, body={"bio": "Mine", "address": {"line1": "1 Rue", "city": "Paris",
                                                                      "postal_code": "75001", "country": "FR"}},
        headers={"If-Match": profile.headers["etag"]},
    )  # fmt: skip
    assert (put.status, put.json["data"]["address"]["country"]) == (200, "FR")
    for field, value in (("line1", "1 Rue\nde Rivoli"), ("city", "\u2029"), ("postal_code", " ")):
        address = {"line1": "1 Rue", "city": "Paris", "postal_code": "75001", "country": "FR", field: value}
        refused = client.call("PUT", "/profile", token=mine, body={"address": address})
        assert (refused.status, refused.json["error"]["details"]["field"]) == (422, f"address.{field}")
    settings = client.call("PUT", "/profile/settings", token=mine, body={"timezone": "Europe/Paris"})
    assert (settings.status, settings.json["data"]["locale"], settings.headers["etag"]) == (200, "en", '"v3"')
    bad = client.call("PUT", "/profile/settings", token=mine, body={"timezone": "Nowhere/Land"})
    assert (bad.status, bad.json["error"]["details"]["field"]) == (422, "timezone")
    via_admin = client.call("GET", f"/users/{member['id']}/profile", token=admin)
    assert via_admin.json["data"]["bio"] == "Mine"
    deleted = client.call("DELETE", f"/users/{member['id']}", token=mine)
    assert deleted.status == 204
    gone = client.call("GET", "/profile", token=mine)
    assert (gone.status, gone.code) == (401, "AUTH_001")  # a deleted account's sessions end with it


def test_no_users_route_answers_a_password_hash_or_token_material(gateway):
    _, client = gateway
    admin = demo_admin(client)
    member = new_member(client, admin)
    mine = token("user", sub=member["id"])
    uid = member["id"]
    calls: list[tuple[str, str, str, Any]] = [
        ("GET", "/users", admin, None),
        ("GET", f"/users/{uid}", mine, None),
        ("PUT", f"/users/{uid}", mine, {"email": member["email"], "username": member["username"], "full_name": "A"}),
        ("PATCH", f"/users/{uid}", mine, {"full_name": "B"}),
        ("GET", f"/users/{uid}/profile", mine, None),
        ("PUT", f"/users/{uid}/profile", admin, {"bio": "x"}),
        ("GET", "/profile", mine, None),
        ("PUT", "/profile", mine, {"bio": "y"}),
        ("GET", "/profile/settings", mine, None),
        ("PUT", "/profile/settings", mine, {"locale": "de"}),
        ("GET", "/admin/users", admin, None),
        ("GET", f"/admin/users/{uid}", admin, None),
        ("PUT", f"/admin/users/{uid}", admin, {"email": member["email"], "username": member["username"],
                                               "full_name": "C", "email_verified": True}),
        ("POST", f"/admin/users/{uid}/ban", admin, None),
        ("POST", f"/admin/users/{uid}/unban", admin, None),
        ("DELETE", f"/admin/users/{uid}", admin, None),
        ("POST", "/users", admin, {"email": f"n{uid[:8]}@example.com", "username": f"n{uid[:8]}", "full_name": "N"}),
    ]  # fmt: skip
    for method, path, caller, body in calls:
        reply = client.call(method, path, token=caller, body=body)
        assert reply.status in (200, 201, 204), (method, path, reply.json)
        text = json.dumps(reply.json).lower() if reply.raw else ""
        assert not any(word in text for word in SECRET_WORDS), (method, path, text)
    deleted = client.call("DELETE", f"/users/{USER_ID}", token=admin, headers={"If-Match": '"v999"'})
    assert (deleted.status, deleted.code) == (409, "BIZ_002")  # the 18th route, refused before it deletes


def test_refusals_on_a_users_route_answer_alike_in_both_modes(gateway):
    _, client = gateway
    path = f"/users/{USER_ID}"
    other_tenant = token("admin", tenant=str(uuid.uuid4()))
    reply = client.call("GET", path, token=other_tenant)
    assert (reply.status, reply.code) == (404, "BIZ_001")
    expired = client.call("GET", path, token=token("user", sub=USER_ID, ttl=-60))
    assert (expired.status, expired.code) == (401, "AUTH_002")
    forged = client.call(
        "GET",
        path,
        headers={"X-Consumer-ID": "c", "X-Consumer-Username": "storefront-web", "X-Credential-Identifier": "x"},
    )
    assert (forged.status, forged.code) == (401, "AUTH_001")
    anonymous = client.call("PATCH", path, body={"role": "admin"})
    assert (anonymous.status, anonymous.code) == (401, "AUTH_001")
