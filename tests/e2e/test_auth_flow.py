"""The whole session life through the local gateway, in Kong mode and in API Gateway mode: register, log in,
call a protected route, refresh, replay the old refresh token (refused, its family revoked), log out, and
the access token refused from then on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from localdev.gateway_process import running_gateway
from localdev.stack import DEMO_TENANT
from tests.e2e.conftest import Client

# Every request here comes from 127.0.0.1, and public/auth/* allows 10 a minute per address: these tests
# run on gateways of their own with that raised (the limit itself is tested against the usual gateway below).
RAISED = {"RATE_LIMITS": "1000/minute,10000/hour,100000/day"}


@pytest.fixture(scope="module", params=["kong", "apigw"])
def auth_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Client]]:
    folder = tmp_path_factory.mktemp(f"auth-{request.param}")
    with running_gateway(request.param, f"sqlite:///{folder / 'auth.db'}", folder / "gateway.log", RAISED) as port:
        yield request.param, Client(port)


def test_register_login_refresh_replay_logout(auth_gateway):
    _, client = auth_gateway
    name = f"e2e{uuid.uuid4().hex[:10]}"
    password = "a long e2e passphrase"
    registered = client.call(
        "POST",
        "/public/auth/register",
        body={"email": f"{name}@example.com", "username": name, "password": password, "full_name": "E2E"},
    )
    assert registered.status == 201, registered.json
    assert "password" not in registered.json["data"]

    signed_in = client.call("POST", "/public/auth/login", body={"login": name, "password": password})
    assert signed_in.status == 200, signed_in.json
    first = signed_in.json["data"]
    assert client.call("GET", "/products?limit=1", token=first["access_token"]).status == 200

    refreshed = client.call("POST", "/public/auth/refresh", body={"refresh_token": first["refresh_token"]})
    assert refreshed.status == 200, refreshed.json
    second = refreshed.json["data"]
    assert client.call("GET", "/products?limit=1", token=second["access_token"]).status == 200

    replay = client.call("POST", "/public/auth/refresh", body={"refresh_token": first["refresh_token"]})
    assert (replay.status, replay.code) == (401, "AUTH_001")
    family_gone = client.call("POST", "/public/auth/refresh", body={"refresh_token": second["refresh_token"]})
    assert (family_gone.status, family_gone.code) == (401, "AUTH_001")
    # ... and so are the access tokens of that login (outside pass: they lived until they expired)
    for access in (first["access_token"], second["access_token"]):
        ended = client.call("GET", "/products?limit=1", token=access)
        assert (ended.status, ended.code) == (401, "AUTH_001")

    again = client.call("POST", "/public/auth/login", body={"login": name, "password": password}).json["data"]
    logged_out = client.call(
        "POST", "/public/auth/logout", token=again["access_token"], body={"refresh_token": again["refresh_token"]}
    )
    assert logged_out.status == 204
    refused = client.call("GET", "/products?limit=1", token=again["access_token"])
    assert (refused.status, refused.code) == (401, "AUTH_001")
    gone = client.call("POST", "/public/auth/refresh", body={"refresh_token": again["refresh_token"]})
    assert (gone.status, gone.code) == (401, "AUTH_001")


def test_a_logout_with_a_wrong_refresh_token_still_ends_the_login(auth_gateway):
    """Outside pass: logout answered 204 to a wrong refresh token and the login went on refreshing."""
    _, client = auth_gateway
    pair = client.call("POST", "/public/auth/login", body={"login": "demo-user", "password": "storefront-demo-user"})
    session = pair.json["data"]
    wrong = {"refresh_token": "x" * 43}
    assert client.call("POST", "/public/auth/logout", token=session["access_token"], body=wrong).status == 204
    gone = client.call("POST", "/public/auth/refresh", body={"refresh_token": session["refresh_token"]})
    assert (gone.status, gone.code) == (401, "AUTH_001")


def test_banned_then_unbanned_then_signed_in_at_once_the_token_works(auth_gateway):
    """Outside pass: a token issued in the same second as a ban or unban was refused for its whole life."""
    _, client = auth_gateway
    name = f"e2e{uuid.uuid4().hex[:10]}"
    password = "a long e2e passphrase"
    body = {"email": f"{name}@example.com", "username": name, "password": password, "full_name": "E2E"}
    user_id = client.call("POST", "/public/auth/register", body=body).json["data"]["id"]
    admin = client.call("POST", "/public/auth/login", body={"login": "demo-admin", "password": "storefront-demo-admin"})
    admin_token = admin.json["data"]["access_token"]
    assert client.call("POST", f"/admin/users/{user_id}/ban", token=admin_token, body={"reason": "e2e"}).status == 200
    assert client.call("POST", f"/admin/users/{user_id}/unban", token=admin_token, body={"reason": "e2e"}).status == 200
    token = client.call("POST", "/public/auth/login", body={"login": name, "password": password}).json["data"]
    reply = client.call("GET", "/profile", token=token["access_token"])
    assert reply.status == 200, reply.json


def test_the_demo_accounts_log_in(auth_gateway):
    _, client = auth_gateway
    for login, password, role in (
        ("demo-admin", "storefront-demo-admin", "admin"),
        ("user@demo.storefront.test", "storefront-demo-user", "user"),
    ):
        reply = client.call("POST", "/public/auth/login", body={"login": login, "password": password})
        assert reply.status == 200, reply.json
        token = reply.json["data"]["access_token"]
        created = client.call(
            "POST",
            "/products",
            token=token,
            body={
                "sku": f"E2E-{uuid.uuid4().hex[:8]}",
                "name": "x",
                "price": {"amount": "1.00", "currency": "EUR"},
                "stock": 1,
            },
        )
        assert created.status == (201 if role == "admin" else 403)


def test_a_wrong_password_and_an_unknown_login_answer_alike(auth_gateway):
    _, client = auth_gateway
    wrong = client.call("POST", "/public/auth/login", body={"login": "demo-user", "password": "not the password!"})
    unknown = client.call("POST", "/public/auth/login", body={"login": "nobody-here", "password": "not the password!"})
    assert (wrong.status, wrong.code, wrong.json["error"]["message"]) == (
        unknown.status,
        unknown.code,
        unknown.json["error"]["message"],
    )
    assert str(DEMO_TENANT)  # the demo tenant is the default tenant of public auth routes


@pytest.fixture(params=["kong", "apigw"])
def limited_gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Client]]:
    """A gateway with the usual limits, of this test alone: the burst uses up 127.0.0.1's public/auth budget
    for a while, which would refuse the next module's logins on the shared gateway."""
    folder = tmp_path_factory.mktemp(f"limited-{request.param}")
    with running_gateway(request.param, f"sqlite:///{folder / 'limited.db'}", folder / "gateway.log") as port:
        yield request.param, Client(port)


def test_public_auth_routes_allow_ten_requests_a_minute_per_address(limited_gateway):
    """The template's stricter limit on public/auth/*: the eleventh request in a minute is 429 RATE_001."""
    _, client = limited_gateway
    answers = [
        client.call("POST", "/public/auth/forgot-password", body={"email": f"n{n}@example.com"}) for n in range(11)
    ]
    assert [a.status for a in answers[:10]] == [202] * 10
    assert answers[0].headers["x-ratelimit-limit"] == "10"
    assert (answers[10].status, answers[10].code) == (429, "RATE_001")
    assert int(answers[10].headers["retry-after"]) > 0
