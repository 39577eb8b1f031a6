"""Calls to Redis that degrade instead of failing: an error is logged and answered with None, and for a
few seconds after it reads are skipped, so an unreachable Redis costs one timeout, not one per request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisError

from storefront.observability import logger

T = TypeVar("T")


class Degrading:
    """Runs Redis calls for one adapter; after a failure it skips reads for ``retry_after_seconds``."""

    def __init__(self, warning: str, *, retry_after_seconds: float = 5.0) -> None:
        self._warning = warning
        self._retry_after = retry_after_seconds
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        """False while reads are skipped after a failure."""
        return time.monotonic() >= self._down_until

    def call(self, operation: str, run: Callable[[], T], *, always: bool = False) -> T | None:
        """``run()``'s answer, or None when it fails or (unless ``always``) while reads are skipped.

        Invalidations pass ``always``: a skipped delete would leave a stale entry behind.
        """
        if not (always or self.available):
            return None
        try:
            return run()
        except RedisError as error:
            self._down_until = time.monotonic() + self._retry_after
            logger.warning(self._warning, extra={"operation": operation, "error": str(error)})
            return None
