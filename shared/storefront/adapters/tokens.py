"""HS256 access tokens (PyJWT) signed with the secret of the Kong consumer named by ``iss``.

The time claims are judged the way Kong's jwt plugin judges them (kong/plugins/jwt/jwt_parser.lua), so a
token gets the same answer behind Kong and behind the API Gateway authorizer: ``exp`` must be a JSON
number, it has expired once ``exp <= now`` in whole seconds (no leeway), and it may lie at most the
maximum lifetime ahead. PyJWT's own time checks are switched off because they accept numeric strings
and booleans (``int("1700000000")``) and compare against fractional seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jwt

from storefront.application.ports import AccessToken
from storefront.domain.errors import TokenExpired, Unauthenticated
from storefront.domain.token_time import has_expired, is_json_number, time_ordered_id, whole_seconds_now

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from storefront.domain.users import User

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "sub", "iat", "exp", "jti")  # jti: a token can be revoked by its id
NUMERIC_CLAIMS = ("exp", "iat", "nbf")
IAT_LEEWAY_SECONDS = 5


class TokenRefused(ValueError):
    """Why a token was refused: for the log only, never for the client."""


class JwtTokens:
    """Verifies and issues access tokens; the algorithm is pinned so a token cannot choose it."""

    def __init__(self, secrets: Mapping[str, str], *, max_lifetime_seconds: int = 3600) -> None:
        self._secrets = dict(secrets)
        self._max_lifetime = max_lifetime_seconds

    def verify(self, token: str, *, now: int | None = None) -> dict[str, Any]:
        """The claims of a valid token; TokenExpired (AUTH_002) or Unauthenticated (AUTH_001) otherwise.

        Every AUTH_001 carries the same message, so a caller cannot tell an unknown consumer key from a
        bad signature; the reason is the exception's cause (a TokenRefused or PyJWT error) for the log.
        """
        try:
            claims = self._signed_claims(token)
            _check_times(claims, whole_seconds_now() if now is None else now, self._max_lifetime)
        except TokenExpired:
            raise
        except (jwt.InvalidTokenError, TokenRefused) as reason:
            raise Unauthenticated() from reason
        return claims

    def _signed_claims(self, token: str) -> dict[str, Any]:
        unverified = jwt.decode(token, options={"verify_signature": False}, algorithms=[ALGORITHM])
        issuer = unverified.get("iss")
        secret = self._secrets.get(issuer) if isinstance(issuer, str) else None
        if secret is None:
            raise TokenRefused("unknown token issuer")
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        return claims

    def issue(
        self, issuer: str, claims: Mapping[str, Any], *, lifetime_seconds: int = 3600, now: float | None = None
    ) -> str:
        """A signed token for ``issuer`` carrying ``claims`` plus iat/exp and a fresh ``jti`` (its own id)."""
        if lifetime_seconds > self._max_lifetime:
            raise ValueError(f"lifetime must be at most {self._max_lifetime} seconds")
        moment = time.time() if now is None else now
        issued_at = int(moment)
        payload = {
            "jti": new_token_id(moment),
            **claims,
            "iss": issuer,
            "iat": issued_at,
            "exp": issued_at + lifetime_seconds,
        }
        return jwt.encode(payload, self._secrets[issuer], algorithm=ALGORITHM)


def new_token_id(moment: float) -> str:
    """A fresh ``jti``: a UUIDv7 of ``moment`` (epoch seconds), so the revocation check can order the token
    and a revocation of the same second (``token_time.issued_at_ms``)."""
    return time_ordered_id(int(moment * 1000), secrets.randbits(80))


def _check_times(claims: Mapping[str, Any], now: int, max_lifetime: int) -> None:
    for name in NUMERIC_CLAIMS:
        if name in claims and not is_json_number(claims[name]):
            raise TokenRefused(f"{name} must be a number")
    expires, issued = claims["exp"], claims["iat"]
    if has_expired(expires, now):
        raise TokenExpired()
    # nbf as Kong judges it (no leeway); iat, which Kong does not judge, may be a few seconds ahead: the
    # container that signed it may run a little ahead of this one's clock.
    if issued > now + IAT_LEEWAY_SECONDS or claims.get("nbf", now) > now:
        raise TokenRefused("token not valid yet")
    # Kong's maximum_expiration (exp - now), and the lifetime the issuer gave the token (exp - iat).
    if expires - now > max_lifetime or expires - issued > max_lifetime:
        raise TokenRefused("token lifetime exceeds the allowed maximum")


class JwtAccessTokens:
    """The AccessTokenIssuer port: tokens signed with the secret of one Kong consumer key (``iss``)."""

    def __init__(self, tokens: JwtTokens, issuer: str, lifetime_seconds: int) -> None:
        self._tokens = tokens
        self._issuer = issuer
        self._lifetime = lifetime_seconds

    def issue(self, user: User, now: datetime, session_id: UUID) -> AccessToken:
        moment = now.timestamp()
        jti = new_token_id(moment)
        claims = {
            "jti": jti,
            "sid": str(session_id),
            "sub": str(user.id),
            "username": user.identity.username,
            "role": user.role.value,
            "tenant_id": str(user.tenant_id),
        }
        token = self._tokens.issue(self._issuer, claims, lifetime_seconds=self._lifetime, now=moment)
        expires_at = int(moment) + self._lifetime
        return AccessToken(token=token, jti=jti, expires_at=expires_at, lifetime_seconds=self._lifetime)
