"""The Cache, ListTotals, RateLimiter and Revocations ports when no Redis is configured (no Redis import)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from storefront.application.ports import IssuedToken, RateDecision, RecalledTotal
from storefront.domain.errors import ServiceUnavailable
from storefront.domain.rate_limits import Window
from storefront.observability import logger


class NoCache:
    """The Cache port when no cache is configured: every read misses."""

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        return None

    def delete(self, key: str) -> None:
        return None

    def delete_many(self, keys: Sequence[str]) -> None:
        return None


class NoListTotals:
    """The ListTotals port when no Redis is configured: nothing is remembered, every list counts."""

    def recall(self, scope: str, listing: str) -> RecalledTotal:
        return RecalledTotal(None, None)

    def remember(self, scope: str, listing: str, generation: str, matches: int) -> None:
        return None

    def forget(self, scope: str) -> None:
        return None


class NoRateLimiter:
    """The RateLimiter port when no Redis is configured: nothing is limited, and no revocation can have been
    recorded (they live in Redis), so every request is admitted without a limit to report."""

    def check(self, caller: str, windows: Sequence[Window], token: IssuedToken | None = None) -> RateDecision:
        return RateDecision(admitted=True)


class NoRevocations:
    """The Revocations port when no Redis is configured: a revocation cannot be recorded, and says so."""

    def revoke_token(self, token_id: str, until_epoch: int) -> None:
        self._refuse()

    def revoke_session(self, session_id: str, until_epoch: int) -> None:
        self._refuse()

    def revoke_sessions(self, tenant_id: UUID, user_id: str, at_ms: int) -> None:
        self._refuse()

    @staticmethod
    def _refuse() -> None:
        logger.error("revocation not recorded: REDIS_URL is not set")
        raise ServiceUnavailable()
