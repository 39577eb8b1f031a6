"""The same token gets the same answer through Kong and through API Gateway (status, code and message)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from localdev.kong import load_kong
from localdev.stack import DEMO_TENANT
from tests.signing import hand_signed

SECRET = load_kong().jwt_secrets()["storefront-web"]
INVALID = (401, "AUTH_001", "Missing or invalid credentials")
EXPIRED = (401, "AUTH_002", "Token has expired")


def signed(secret: str = SECRET, algorithm: str = "HS256", **changes: object) -> Callable[[], str]:
    """A token maker (timed when the request is sent): a valid admin token with ``changes``, where a
    callable is given the current second and None removes the claim."""

    def make() -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": "storefront-web",
            "sub": "5f5b2c1a-7d3e-4c2b-9a8f-0e1d2c3b4a59",
            "username": "parity-admin",
            "role": "admin",
            "tenant_id": str(DEMO_TENANT),
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 600,
        }
        for name, value in changes.items():
            claims[name] = value(now) if callable(value) else value
        return hand_signed({k: v for k, v in claims.items() if v is not None}, secret, algorithm)

    return make


TOKENS: list[tuple[str, Callable[[], str] | None, tuple[int, str | None, str | None]]] = [
    ("valid", signed(), (200, None, None)),
    ("expired-10s-ago", signed(exp=lambda now: now - 10), EXPIRED),
    ("expired-40s-ago", signed(exp=lambda now: now - 40), EXPIRED),
    ("expires-this-second", signed(exp=lambda now: now), EXPIRED),
    ("exp-numeric-string", signed(exp=lambda now: str(now + 600)), INVALID),
    ("exp-numeric-string-in-the-past", signed(exp=lambda now: str(now - 10)), INVALID),
    ("exp-boolean", signed(exp=True), INVALID),
    ("exp-float", signed(exp=lambda now: now + 600.5), (200, None, None)),
    ("exp-float-in-the-past", signed(exp=lambda now: now - 10.5), EXPIRED),
    ("missing-exp", signed(exp=None), INVALID),
    ("missing-iat", signed(iat=None), INVALID),
    ("wrong-secret", signed(secret="another-secret-of-at-least-32-bytes!!"), INVALID),
    ("unknown-iss", signed(iss="no-such-consumer"), INVALID),
    ("iat-in-the-future", signed(iat=lambda now: now + 120), INVALID),
    ("lifetime-over-3600", signed(iat=lambda now: now - 100, exp=lambda now: now + 3550), INVALID),
    ("expires-over-3600-ahead", signed(exp=lambda now: now + 3700), INVALID),
    ("alg-none", signed(algorithm="none"), INVALID),
    ("alg-hs512", signed(algorithm="HS512"), INVALID),
    ("missing-tenant", signed(tenant_id=None), INVALID),
    ("sub-not-a-uuid", signed(sub="x"), INVALID),
    ("missing-jti", signed(jti=None), INVALID),
    ("sub-lone-surrogate", signed(sub="\ud800"), INVALID),
    ("garbage", lambda: "not-a-token", INVALID),
    ("no-token", None, INVALID),
]


@pytest.mark.parametrize(("label", "token", "expected"), TOKENS, ids=[row[0] for row in TOKENS])
def test_the_same_token_gets_the_same_answer_in_both_modes(gateway, label, token, expected):
    _, client = gateway
    reply = client.call("GET", "/products?limit=1", token=token() if token else None)
    status, code, message = expected
    if status == 200:
        assert reply.status == 200, reply.json
        return
    error = reply.json["error"]
    assert (reply.status, error["code"], error["message"]) == (status, code, message)
    assert reply.json["status_code"] == status
