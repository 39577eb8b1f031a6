"""The real clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)
