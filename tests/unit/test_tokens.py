"""Access tokens: HS256 only, known issuers only, Kong's expiry rule, bounded lifetime."""

import pytest

from storefront.adapters.tokens import JwtTokens
from storefront.domain.errors import TokenExpired, Unauthenticated
from storefront.domain.token_time import issued_at_ms
from tests.conftest import TEST_SECRETS
from tests.signing import hand_signed

CLAIMS = {"sub": "u", "role": "user", "tenant_id": "t"}
NOW = 1_800_000_000
SECRET = TEST_SECRETS["storefront-web"]


def sign(secret=SECRET, algorithm="HS256", **claims):
    """A token of storefront-web issued at NOW for 600 s, with ``claims`` replaced (None removes one)."""
    payload = {**CLAIMS, "iss": "storefront-web", "jti": "j-1", "iat": NOW, "exp": NOW + 600, **claims}
    return hand_signed({k: v for k, v in payload.items() if v is not None}, secret, algorithm)


def test_a_token_it_issued_verifies(tokens):
    assert tokens.verify(tokens.issue("storefront-web", CLAIMS))["sub"] == "u"


def test_every_issued_token_has_its_own_jti(tokens):
    first, second = (tokens.verify(tokens.issue("storefront-web", CLAIMS))["jti"] for _ in range(2))
    assert len(first) == 32
    assert first != second


@pytest.mark.parametrize(
    ("claims", "outcome"),
    [
        ({}, None),
        ({"exp": NOW + 1}, None),
        ({"exp": NOW + 0.5}, None),  # a JSON number need not be an integer (Kong: type "number")
        ({"exp": NOW}, TokenExpired),  # Kong: expired once exp <= now
        ({"exp": NOW - 10}, TokenExpired),  # no leeway: Kong has none
        ({"exp": NOW - 0.5}, TokenExpired),
        ({"jti": None}, Unauthenticated),  # the contract's claims include jti: a token without one cannot be revoked
        ({"exp": str(NOW + 600)}, Unauthenticated),  # a numeric string is not a number
        ({"exp": str(NOW - 10)}, Unauthenticated),  # ... not even an expired one
        ({"exp": True}, Unauthenticated),
        ({"exp": None}, Unauthenticated),
        ({"iat": str(NOW)}, Unauthenticated),
        ({"iat": None}, Unauthenticated),
        ({"iat": NOW + 5}, None),  # a few seconds ahead: the signer's clock may run ahead (Kong does not judge iat)
        ({"iat": NOW + 6, "exp": NOW + 600}, Unauthenticated),  # issued in the future
        ({"nbf": NOW + 1}, Unauthenticated),
        ({"nbf": "0"}, Unauthenticated),
        ({"nbf": NOW}, None),
        ({"iat": NOW - 100, "exp": NOW + 3550}, Unauthenticated),  # lived longer than 3600 s
        ({"iat": NOW, "exp": NOW + 3600}, None),
        ({"iat": NOW, "exp": NOW + 3601}, Unauthenticated),  # Kong's maximum_expiration
        ({"iat": NOW - 100, "exp": NOW - 10}, TokenExpired),
        ({"sub": None}, Unauthenticated),
        ({"iss": None}, Unauthenticated),
        ({"iss": 7}, Unauthenticated),
    ],
)
def test_the_claims_table(tokens, claims, outcome):
    token = sign(**claims)
    if outcome is None:
        assert tokens.verify(token, now=NOW)["sub"] == "u"
    else:
        with pytest.raises(outcome):
            tokens.verify(token, now=NOW)


@pytest.mark.parametrize(
    "forge",
    [
        lambda: sign(secret="wrong-secret-wrong-secret-wrong!!"),
        lambda: sign(iss="nobody", secret="x" * 32),
        lambda: sign(algorithm="HS512"),
        lambda: "not-a-token",
        lambda: sign(algorithm="none"),
    ],
    ids=["bad-signature", "unknown-issuer", "other-algorithm", "garbage", "alg-none"],
)
def test_forged_tokens_are_refused_with_one_message(tokens, forge):
    with pytest.raises(Unauthenticated) as refused:
        tokens.verify(forge(), now=NOW)
    assert refused.value.message == "Missing or invalid credentials"
    assert refused.value.__cause__ is not None  # the reason, for the log


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


def test_a_token_id_is_a_uuid7_of_the_moment_it_was_issued():
    from uuid import UUID

    from storefront.adapters.tokens import new_token_id

    moment = 1_795_510_800.123
    token_id = new_token_id(moment)
    parsed = UUID(token_id)
    assert (parsed.version, parsed.variant) == (7, "specified in RFC 4122")
    assert issued_at_ms(token_id, 1_795_510_800) == 1_795_510_800_123
    assert new_token_id(moment) != token_id


@pytest.mark.parametrize(
    ("token_id", "iat", "expected"),
    [
        ("0190f2a4-7b3c-7d2e-8f1a-2b3c4d5e6f70", None, 0),  # no iat: issued at the epoch for the checks
        ("0d6c3c1a7e1b4f0c9a5e2b8d4f6a1c3e", 1_795_510_800, 1_795_510_800_000),  # not a v7: the second's start
        (None, 1_795_510_800, 1_795_510_800_000),
        (f"{1_795_510_800_123:012x}70008000000000000000", 1_795_510_800, 1_795_510_800_123),
        (f"{1_795_510_800_123:012x}70008000000000000000".upper(), 1_795_510_800, 1_795_510_800_123),
        (f"{1_795_510_805_000:012x}70008000000000000000", 1_795_510_800, 1_795_510_800_000),  # not within iat
        (f"{1_795_510_800_123:012x}40008000000000000000", 1_795_510_800, 1_795_510_800_000),  # version 4
    ],
)
def test_when_a_token_was_issued_to_the_millisecond(token_id, iat, expected):
    assert issued_at_ms(token_id, iat) == expected
