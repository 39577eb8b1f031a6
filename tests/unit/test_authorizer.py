"""The API Gateway authorizer with its sample event."""

from __future__ import annotations

import json

from localdev.invoke import fill_placeholders
from localdev.runtime import LambdaContext, load_handler
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
        {"sub": "u", "role": "user", "tenant_id": "00000000-0000-4000-8000-000000000001"},
        lifetime_seconds=-100,
    )
    assert authorize(f"Bearer {expired}")["context"]["error_code"] == "AUTH_002"
    denied = authorize("Bearer a.b.c")
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["context"]["error_code"] == "AUTH_001"
    assert authorize("Basic abc")["context"]["error_code"] == "AUTH_001"


def test_claims_without_a_tenant_are_denied(tokens):
    token = tokens.issue("storefront-web", {"sub": "u", "role": "user"})
    assert authorize(f"Bearer {token}")["context"]["error_code"] == "AUTH_001"
