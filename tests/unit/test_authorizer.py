"""The API Gateway authorizer with its sample event."""

from __future__ import annotations

import json
import math
import time

import pytest

from localdev.invoke import fill_placeholders
from localdev.runtime import LambdaContext, load_handler
from tests.conftest import TEST_SECRETS
from tests.signing import hand_signed
from tests.unit.handlers import EVENTS

AUTHORIZER = "identity.authorizer.handler"


def authorize(token_text: str) -> dict:
    event = json.loads((EVENTS / "identity" / "authorizer.json").read_text())
    event["authorizationToken"] = token_text
    return load_handler(AUTHORIZER)(event, LambdaContext("authorizer"))


def use_local_secrets(monkeypatch):
    from localdev.kong import load_kong

    monkeypatch.setenv("JWT_SECRETS", json.dumps(load_kong().jwt_secrets()))


def test_the_sample_event_is_allowed_with_its_claims(monkeypatch):
    use_local_secrets(monkeypatch)
    event = json.loads(fill_placeholders((EVENTS / "identity" / "authorizer.json").read_text()))
    result = load_handler(AUTHORIZER)(event, LambdaContext("authorizer"))
    statement = result["policyDocument"]["Statement"][0]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/*/*",
    }
    assert result["context"]["role"] == "admin"
    assert result["context"]["tenant_id"] == "00000000-0000-4000-8000-000000000001"
    assert all(isinstance(v, str | int) for v in result["context"].values())


def test_expired_and_invalid_tokens_are_denied_with_their_code(tokens):
    expired = tokens.issue(
        "storefront-web",
        {
            "sub": "9f0c2a51-3f55-4e57-bb8e-2a3f1c9a00aa",
            "role": "user",
            "tenant_id": "00000000-0000-4000-8000-000000000001",
        },
        lifetime_seconds=-100,
    )
    assert authorize(f"Bearer {expired}")["context"]["error_code"] == "AUTH_002"
    denied = authorize("Bearer a.b.c")
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["context"]["error_code"] == "AUTH_001"
    assert authorize("Basic abc")["context"]["error_code"] == "AUTH_001"


def test_claims_without_a_tenant_are_denied(tokens):
    token = tokens.issue("storefront-web", {"sub": "9f0c2a51-3f55-4e57-bb8e-2a3f1c9a00aa", "role": "user"})
    assert authorize(f"Bearer {token}")["context"]["error_code"] == "AUTH_001"


def signed(secret=TEST_SECRETS["storefront-web"], **claims):
    now = int(time.time())
    payload = {
        "iss": "storefront-web",
        "sub": "9f0c2a51-3f55-4e57-bb8e-2a3f1c9a00aa",
        "jti": "j-1",
        "role": "user",
        "tenant_id": "00000000-0000-4000-8000-000000000001",
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    return hand_signed({k: v for k, v in payload.items() if v is not None}, secret)


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"exp": int(time.time()) - 10}, "AUTH_002"),  # no leeway
        ({"exp": str(int(time.time()) + 600)}, "AUTH_001"),  # a numeric string is not a number
        ({"exp": None}, "AUTH_001"),
        ({"iss": "nobody"}, "AUTH_001"),
    ],
)
def test_refusals_carry_the_code_and_one_message(claims, code):
    context = authorize(f"Bearer {signed(**claims)}")["context"]
    assert context["error_code"] == code
    assert context["error_message"] == ("Token has expired" if code == "AUTH_002" else "Missing or invalid credentials")


def test_unknown_key_and_bad_signature_read_the_same():
    unknown = authorize(f"Bearer {signed(iss='nobody')}")["context"]
    forged = authorize(f"Bearer {signed(secret='x' * 40)}")["context"]
    assert unknown == forged


def test_a_fractional_exp_is_passed_on_rounded_up():
    exp = time.time() + 600.25
    context = authorize(f"Bearer {signed(exp=exp)}")["context"]
    assert context["exp"] == math.ceil(exp)


@pytest.mark.parametrize(
    ("claims", "jti", "iat_after"),
    [
        ({"jti": "abc123", "iat": -60}, "abc123", -60),
        ({"jti": "abc123", "iat": -60.25}, "abc123", -60),  # rounded up: iat <= t holds exactly when it did
    ],
)
def test_the_token_id_and_issue_time_reach_the_function_for_the_revocation_checks(claims, jti, iat_after):
    now = int(time.time())
    context = authorize(f"Bearer {signed(**{**claims, 'iat': now + claims['iat'], 'exp': now + 600})}")["context"]
    assert context.get("jti") == jti
    assert context["iat"] == now + iat_after


@pytest.mark.parametrize("jti", [None, "", "x" * 129, 42])
def test_a_token_whose_id_cannot_be_revoked_is_denied(jti):
    """A token without a usable ``jti`` could not be refused after logout: AUTH_001, as behind Kong."""
    now = int(time.time())
    context = authorize(f"Bearer {signed(jti=jti, iat=now, exp=now + 600)}")["context"]
    assert context["error_code"] == "AUTH_001"


def test_the_login_session_reaches_the_function_for_its_revocation_check():
    now = int(time.time())
    sid = "6f1d3a0e-5b7c-4e2a-9d8f-0a1b2c3d4e5f"
    context = authorize(f"Bearer {signed(sid=sid, iat=now, exp=now + 600)}")["context"]
    assert context["sid"] == sid


@pytest.mark.parametrize(("name", "value"), [("sid", ""), ("sid", 7), ("sid", "x" * 129), ("username", 42)])
def test_a_session_or_username_claim_of_the_wrong_kind_is_denied(name, value):
    """Outside pass: a non-string ``username`` claim was accepted."""
    now = int(time.time())
    context = authorize(f"Bearer {signed(**{name: value}, iat=now, exp=now + 600)}")["context"]
    assert context["error_code"] == "AUTH_001"
