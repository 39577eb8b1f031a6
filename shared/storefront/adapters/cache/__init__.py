"""Caches: Redis in production, an always-empty cache when none is configured."""
