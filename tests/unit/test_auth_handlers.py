"""The auth functions' HTTP behaviour: real handlers, the identity use cases on fakes (API Gateway mode)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from storefront import bootstrap
from storefront.adapters.tokens import JwtTokens
from tests.conftest import TEST_SECRETS
from tests.fakes import FakeIdentity
from tests.unit.handlers import call, event, set_header

TENANT = "00000000-0000-4000-8000-000000000001"
REGISTER = "auth.register.handler"
LOGIN = "auth.login.handler"
REFRESH = "auth.refresh.handler"
LOGOUT = "auth.logout.handler"
FORGOT = "auth.forgot_password.handler"
RESET = "auth.reset_password.handler"
PASSWORD = "correct horse battery"
ADA = {"email": "ada@example.com", "username": "ada", "password": PASSWORD, "full_name": "Ada L"}
SECRET_WORDS = ("password", "hash", "argon2", "$v2$")


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> FakeIdentity:
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.setenv("DEFAULT_TENANT_ID", TENANT)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("JWT_ISSUER", "storefront-web")
    fake = FakeIdentity()
    bootstrap.provide(identity=fake.ports)
    return fake


def register(body: dict | None = None) -> tuple[int, dict, dict]:
    return call(REGISTER, event("auth/register.json", body=body or ADA))


def login(login_name: str = "ada", password: str = PASSWORD) -> tuple[int, dict, dict]:
    return call(LOGIN, event("auth/login.json", body={"login": login_name, "password": password}))


def test_register_answers_201_with_the_user_and_nothing_secret(identity):
    status, headers, body = register()
    assert status == 201, body
    user = body["data"]
    assert (user["email"], user["username"], user["role"], user["status"], user["version"]) == (
        "ada@example.com",
        "ada",
        "user",
        "active",
        1,
    )
    assert headers["Location"] == [f"/KONGAPI/api/v1/users/{user['id']}"]
    assert headers["Cache-Control"] == ["no-store"]
    assert not any(word in str(user).lower() for word in SECRET_WORDS)


def test_register_twice_is_409_and_the_tenant_header_picks_another_tenant(identity):
    register()
    status, _, body = register()
    assert (status, body["error"]["code"]) == (409, "BIZ_002")
    evt = set_header(event("auth/register.json", body=ADA), "X-Tenant-ID", "7b0d1c1e-0000-4000-8000-000000000002")
    assert call(REGISTER, evt)[0] == 201


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({**ADA, "password": "short"}, 422, "VAL_003", "password"),
        ({**ADA, "password": "Password1234"}, 422, "VAL_002", "password"),
        ({**ADA, "email": "nope"}, 422, "VAL_002", "email"),
        ({**ADA, "role": "admin"}, 422, "VAL_002", "role"),  # not a field of registration
        ({k: v for k, v in ADA.items() if k != "email"}, 400, "VAL_001", "email"),
    ],
)
def test_register_refuses_bad_bodies(identity, body, status, code, field):
    answered, _, answer = register(body)
    assert (answered, answer["error"]["code"], answer["error"]["details"]["field"]) == (status, code, field)
    assert identity.state.users == {}


def test_register_ignores_the_read_only_fields_as_every_route_does(identity):
    """Outside pass: register refused `id` and `version` with 422 where other routes ignore them."""
    forged = "11111111-1111-4111-8111-111111111111"
    status, _, body = register({**ADA, "id": forged, "version": 9, "created_by": "x", "updated_at": "2020-01-01"})
    assert status == 201, body
    assert (body["data"]["id"] != forged, body["data"]["version"]) == (True, 1)


def test_every_auth_answer_is_no_store_refusals_included(identity):
    """Outside pass: the 401, 400 and 415 answers of login carried no Cache-Control."""
    register()
    wrong = login(password="wrong password!")
    malformed = call(LOGIN, event("auth/login.json", body='{"login": '))
    for status, headers, _ in (wrong, malformed):
        assert status >= 400
        assert (headers["Cache-Control"], headers["Pragma"]) == (["no-store"], ["no-cache"])


def test_a_tenant_header_that_is_not_a_uuid_is_422(identity):
    evt = set_header(event("auth/register.json", body=ADA), "X-Tenant-ID", "demo")
    status, _, body = call(REGISTER, evt)
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (422, "VAL_002", "X-Tenant-ID")


def test_login_answers_a_bearer_pair_that_is_never_stored(identity):
    register()
    status, headers, body = login("ADA@example.com")
    assert status == 200, body
    pair = body["data"]
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (pair["token_type"], pair["expires_in"]) == ("Bearer", 900)
    assert headers["Cache-Control"] == ["no-store"]


def test_login_failures_are_one_401_and_a_lock_says_when_to_retry(identity):
    register()
    answers = [login(password="wrong password!") for _ in range(3)]
    assert {(a[0], a[2]["error"]["code"], a[2]["error"]["message"]) for a in answers} == {
        (401, "AUTH_001", "Missing or invalid credentials")
    }
    status, headers, body = login()
    assert (status, body["error"]["code"], headers["Retry-After"]) == (401, "AUTH_001", ["900"])


def test_refresh_rotates_and_a_replay_is_401(identity):
    register()
    first = login()[2]["data"]
    status, _, body = call(REFRESH, event("auth/refresh.json", body={"refresh_token": first["refresh_token"]}))
    assert status == 200
    assert body["data"]["refresh_token"] != first["refresh_token"]
    status, _, body = call(REFRESH, event("auth/refresh.json", body={"refresh_token": first["refresh_token"]}))
    assert (status, body["error"]["code"]) == (401, "AUTH_001")


def test_logout_answers_204_and_revokes_the_family(identity):
    register()
    pair = login()[2]["data"]
    user_id = next(iter(identity.state.users))
    evt = event("auth/logout.json", body={"refresh_token": pair["refresh_token"]})
    evt["requestContext"]["authorizer"].update(sub=str(user_id), principalId=str(user_id))
    status, headers, body = call(LOGOUT, evt)
    assert (status, body) == (204, None)
    assert headers["Cache-Control"] == ["no-store"]
    status, _, _ = call(REFRESH, event("auth/refresh.json", body={"refresh_token": pair["refresh_token"]}))
    assert status == 401


def access_token() -> str:
    """An access token as the deployed functions sign it (the fake identity's are short stand-ins)."""
    return JwtTokens(TEST_SECRETS).issue(
        "storefront-web",
        {"sub": str(uuid4()), "username": "ada", "role": "user", "tenant_id": TENANT, "jti": str(uuid4())},
        lifetime_seconds=600,
    )


@pytest.mark.parametrize(
    ("sent", "status", "code"),
    [
        ("access", 401, "AUTH_001"),  # outside pass (issue 8): was 422 "at most 128 characters"
        ("x" * 129, 401, "AUTH_001"),
        ("x" * 4096, 401, "AUTH_001"),
        ("x" * 4097, 422, "VAL_003"),  # the bound against abuse
        ("", 422, "VAL_003"),
    ],
)
def test_refresh_with_a_wrong_token_is_401_and_an_absurd_one_422(identity, sent, status, code):
    register()
    pair = login()[2]["data"]
    token = access_token() if sent == "access" else sent
    assert sent != "access" or len(token) > 128
    answered, _, body = call(REFRESH, event("auth/refresh.json", body={"refresh_token": token}))
    assert (answered, body["error"]["code"]) == (status, code), body
    if status == 422:
        assert body["error"]["details"]["field"] == "refresh_token"
    else:
        assert (
            body["error"]["message"]
            == call(REFRESH, event("auth/refresh.json", body={"refresh_token": "never-issued"}))[2]["error"]["message"]
        ), "told as any unknown refresh token"
    assert call(REFRESH, event("auth/refresh.json", body={"refresh_token": pair["refresh_token"]}))[0] == 200


@pytest.mark.parametrize(("sent", "status"), [("access", 204), ("x" * 4096, 204), ("x" * 4097, 422)])
def test_logout_with_a_wrong_refresh_token_is_204_as_any_unknown_one_and_an_absurd_one_422(identity, sent, status):
    register()
    assert login()[0] == 200
    user_id = next(iter(identity.state.users))
    token = access_token() if sent == "access" else sent
    evt = event("auth/logout.json", body={"refresh_token": token})
    evt["requestContext"]["authorizer"].update(sub=str(user_id), principalId=str(user_id))
    answered, _, body = call(LOGOUT, evt)
    assert answered == status, body
    if status == 422:
        assert (body["error"]["code"], body["error"]["details"]["field"]) == ("VAL_003", "refresh_token")


def test_logout_needs_an_access_token(identity):
    evt = event("auth/logout.json", body={"refresh_token": "x"})
    del evt["requestContext"]["authorizer"]
    status, _, body = call(LOGOUT, evt)
    assert (status, body["error"]["code"]) == (401, "AUTH_001")


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_forgot_password_is_202_whoever_asks(identity, email):
    register()
    status, headers, body = call(FORGOT, event("auth/forgot_password.json", body={"email": email}))
    assert (status, body["data"]["message"], headers["Cache-Control"]) == (
        202,
        "If the email names an account, a reset link is on its way to it.",
        ["no-store"],
    )
    assert len(identity.publisher.sent) == 1  # one message either way
    assert identity.deliver() == (1 if email.startswith("ada") else 0)


def test_reset_password_is_204_then_the_token_is_spent(identity):
    register()
    call(FORGOT, event("auth/forgot_password.json", body={"email": "ada@example.com"}))
    identity.deliver()
    token = identity.notifier.sent[0].text.split("token=")[1].split()[0]
    body = {"token": token, "new_password": "a brand new passphrase"}
    assert call(RESET, event("auth/reset_password.json", body=body))[0] == 204
    status, _, answer = call(RESET, event("auth/reset_password.json", body=body))
    assert (status, answer["error"]["code"], answer["error"]["details"]["field"]) == (422, "VAL_002", "token")
    assert login(password="a brand new passphrase")[0] == 200


def test_a_tenant_header_given_twice_is_422_in_plain_words(identity):
    """Outside pass: two X-Tenant-ID headers answered pydantic's own text under `x-tenant-id`."""
    evt = event("auth/register.json", body=ADA)
    tenant = "7b0d1c1e-0000-4000-8000-000000000002"
    evt["multiValueHeaders"]["X-Tenant-ID"] = [tenant, tenant]
    evt["headers"]["X-Tenant-ID"] = tenant
    status, _, body = call(REGISTER, evt)
    details = body["error"]["details"]
    assert (status, body["error"]["code"], details["field"], details["reason"]) == (
        422,
        "VAL_002",
        "X-Tenant-ID",
        "is given more than once",
    )
