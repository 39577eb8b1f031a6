"""The whole session life through the local gateway, in Kong mode and in API Gateway mode: register, log in,
call a protected route, refresh, replay the old refresh token (refused, its family revoked), log out, and
the access token refused from then on."""

from __future__ import annotations

import uuid

from localdev.stack import DEMO_TENANT


def test_register_login_refresh_replay_logout(gateway):
    _, client = gateway
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

    again = client.call("POST", "/public/auth/login", body={"login": name, "password": password}).json["data"]
    logged_out = client.call(
        "POST", "/public/auth/logout", token=again["access_token"], body={"refresh_token": again["refresh_token"]}
    )
    assert logged_out.status == 204
    refused = client.call("GET", "/products?limit=1", token=again["access_token"])
    assert (refused.status, refused.code) == (401, "AUTH_001")
    gone = client.call("POST", "/public/auth/refresh", body={"refresh_token": again["refresh_token"]})
    assert (gone.status, gone.code) == (401, "AUTH_001")


def test_the_demo_accounts_log_in(gateway):
    _, client = gateway
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


def test_a_wrong_password_and_an_unknown_login_answer_alike(gateway):
    _, client = gateway
    wrong = client.call("POST", "/public/auth/login", body={"login": "demo-user", "password": "not the password!"})
    unknown = client.call("POST", "/public/auth/login", body={"login": "nobody-here", "password": "not the password!"})
    assert (wrong.status, wrong.code, wrong.json["error"]["message"]) == (
        unknown.status,
        unknown.code,
        unknown.json["error"]["message"],
    )
    assert str(DEMO_TENANT)  # the demo tenant is the default tenant of public auth routes
