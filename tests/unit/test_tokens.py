"""Access tokens: HS256 only, known issuers only, bounded lifetime."""

import jwt
import pytest

from storefront.adapters.tokens import JwtTokens
from storefront.domain.errors import TokenExpired, Unauthenticated
from tests.conftest import TEST_SECRETS

CLAIMS = {"sub": "u", "role": "user", "tenant_id": "t"}


def test_a_token_it_issued_verifies(tokens):
    assert tokens.verify(tokens.issue("storefront-web", CLAIMS))["sub"] == "u"


@pytest.mark.parametrize(
    "forge",
    [
        lambda: jwt.encode(
            {**CLAIMS, "iss": "storefront-web", "iat": 1, "exp": 9999999999},
            "wrong-secret-wrong-secret-wrong!!",
            algorithm="HS256",
        ),
        lambda: jwt.encode({**CLAIMS, "iss": "nobody", "iat": 1, "exp": 9999999999}, "x" * 32, algorithm="HS256"),
        lambda: jwt.encode(
            {**CLAIMS, "iss": "storefront-web", "iat": 1, "exp": 9999999999},
            TEST_SECRETS["storefront-web"],
            algorithm="HS512",
        ),
        lambda: jwt.encode(
            {**CLAIMS, "iss": "storefront-web", "exp": 9999999999}, TEST_SECRETS["storefront-web"], algorithm="HS256"
        ),
        lambda: "not-a-token",
        lambda: jwt.encode(
            {**CLAIMS, "iss": "storefront-web", "iat": 1, "exp": 9999999999},
            None,  # type: ignore[arg-type]
            algorithm="none",
        ),
    ],
    ids=["bad-signature", "unknown-issuer", "other-algorithm", "no-iat", "garbage", "alg-none"],
)
def test_forged_or_incomplete_tokens_are_refused(tokens, forge):
    with pytest.raises(Unauthenticated):
        tokens.verify(forge())


def test_expired_tokens_are_told_apart(tokens):
    with pytest.raises(TokenExpired):
        tokens.verify(tokens.issue("storefront-web", CLAIMS, lifetime_seconds=-60))


def test_lifetime_is_bounded():
    long_lived = JwtTokens(TEST_SECRETS, max_lifetime_seconds=7200).issue(
        "storefront-web", CLAIMS, lifetime_seconds=7200
    )
    with pytest.raises(Unauthenticated):
        JwtTokens(TEST_SECRETS).verify(long_lived)
    with pytest.raises(ValueError):
        JwtTokens(TEST_SECRETS).issue("storefront-web", CLAIMS, lifetime_seconds=3601)
