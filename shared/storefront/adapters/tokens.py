"""HS256 access tokens (PyJWT) signed with the secret of the Kong consumer named by ``iss``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

from storefront.domain.errors import TokenExpired, Unauthenticated

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "sub", "iat", "exp")


class JwtTokens:
    """Verifies and issues access tokens; the algorithm is pinned so a token cannot choose it."""

    def __init__(
        self, secrets: Mapping[str, str], *, leeway_seconds: int = 30, max_lifetime_seconds: int = 3600
    ) -> None:
        self._secrets = dict(secrets)
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token; Unauthenticated or TokenExpired otherwise."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False}, algorithms=[ALGORITHM])
            secret = self._secrets.get(str(unverified.get("iss", "")))
            if secret is None:
                raise Unauthenticated("Unknown token issuer")
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={"require": list(REQUIRED_CLAIMS)},
                leeway=self._leeway,
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenExpired() from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated("Invalid token") from error
        if int(claims["exp"]) - int(claims["iat"]) > self._max_lifetime:
            raise Unauthenticated("Token lifetime exceeds the allowed maximum")
        return claims

    def issue(
        self, issuer: str, claims: Mapping[str, Any], *, lifetime_seconds: int = 3600, now: float | None = None
    ) -> str:
        """A signed token for ``issuer`` carrying ``claims`` plus iat/exp."""
        if lifetime_seconds > self._max_lifetime:
            raise ValueError(f"lifetime must be at most {self._max_lifetime} seconds")
        issued_at = int(time.time() if now is None else now)
        payload = {**claims, "iss": issuer, "iat": issued_at, "exp": issued_at + lifetime_seconds}
        return jwt.encode(payload, self._secrets[issuer], algorithm=ALGORITHM)
