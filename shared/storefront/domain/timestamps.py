"""The one way a client sees a moment: ISO-8601 in UTC, to the millisecond, with ``Z`` (``2026-11-29T17:30:00.123Z``),
as the envelope's ``meta.timestamp`` writes it."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    """``moment`` (aware; a naive one is taken as UTC) in the contract's timestamp format."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalised(value: str | None) -> str | None:
    """An ISO-8601 date-time string in the contract's format (None, or a string that is not one, as it is)."""
    if not value:
        return None
    try:
        return iso_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return value
