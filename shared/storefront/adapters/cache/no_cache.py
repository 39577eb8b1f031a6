"""The Cache and ListTotals ports when no Redis is configured (no Redis import)."""

from __future__ import annotations

from storefront.application.ports import RecalledTotal


class NoCache:
    """The Cache port when no cache is configured: every read misses."""

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        return None

    def delete(self, key: str) -> None:
        return None


class NoListTotals:
    """The ListTotals port when no Redis is configured: nothing is remembered, every list counts."""

    def recall(self, scope: str, listing: str) -> RecalledTotal:
        return RecalledTotal(None, None)

    def remember(self, scope: str, listing: str, generation: str, matches: int) -> None:
        return None

    def forget(self, scope: str) -> None:
        return None
