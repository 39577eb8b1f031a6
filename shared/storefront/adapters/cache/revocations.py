"""Revoked access tokens in Redis: what logout, a ban and a password reset leave for every function to see.

``storefront:revoked:jti:<jti>`` marks one token until it would have expired anyway;
``storefront:revoked:sessions:<tenant>:<user>`` holds the moment before which (inclusive) every access
token of that user is refused, for as long as the longest access token lives. Writing is not best effort:
a revocation that could not be stored raises, so logout or a ban does not answer success without it.
"""

from __future__ import annotations

import time
from uuid import UUID

from redis import Redis
from redis.exceptions import RedisError

from storefront.domain.errors import ServiceUnavailable
from storefront.observability import logger

MAX_ACCESS_TOKEN_SECONDS = 3600


def token_key(jti: str) -> str:
    """Where a revoked token is marked."""
    return f"storefront:revoked:jti:{jti}"


def sessions_key(tenant_id: UUID | str, user_id: UUID | str) -> str:
    """Where the moment a user's sessions ended is kept."""
    return f"storefront:revoked:sessions:{tenant_id}:{user_id}"


class RedisRevocations:
    """The Revocations port on Redis."""

    def __init__(self, client: Redis, *, max_token_seconds: int = MAX_ACCESS_TOKEN_SECONDS) -> None:
        self._client = client
        self._max = max_token_seconds

    def revoke_token(self, jti: str, until_epoch: int) -> None:
        remaining = until_epoch - int(time.time())
        if remaining > 0:
            self._write("revoke_token", lambda: self._client.set(token_key(jti), "1", ex=min(remaining, self._max)))

    def revoke_sessions(self, tenant_id: UUID, user_id: str, at_epoch: int) -> None:
        key = sessions_key(tenant_id, user_id)
        self._write("revoke_sessions", lambda: self._client.set(key, str(at_epoch), ex=self._max))

    def _write(self, operation: str, run: object) -> None:
        try:
            run()  # type: ignore[operator]
        except RedisError as error:
            logger.error("revocation not stored", extra={"operation": operation, "error": str(error)})
            raise ServiceUnavailable("Sessions cannot be ended right now; try again") from error
