"""The Cache port when no cache is configured (no Redis import)."""

from __future__ import annotations


class NoCache:
    """The Cache port when no cache is configured: every read misses."""

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        return None

    def delete(self, key: str) -> None:
        return None
