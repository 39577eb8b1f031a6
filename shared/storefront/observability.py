"""Logger and Metrics: one instance each per container, configured by the POWERTOOLS_* variables.

There is deliberately no Powertools Tracer here: it imports aws_xray_sdk and with it botocore even
when tracing is disabled (measured here with -X importtime: this module took 583 ms to import with a
Tracer and 67 ms without). Functions run with
X-Ray active tracing (template Globals), which records every invocation; the trace id reaches the
envelope from the ``_X_AMZN_TRACE_ID`` variable that Lambda sets.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    import cProfile

logger = Logger()
# Without a namespace Powertools refuses to flush, and a refused flush would fail the request.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Storefront")


def current_trace_id() -> str:
    """The X-Ray trace id of this invocation ("Root=..." of _X_AMZN_TRACE_ID), or "" when tracing is off."""
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    for part in header.split(";"):
        key, _, value = part.partition("=")
        if key == "Root":
            return value
    return ""


PROFILE_SWITCH = "PROFILE_HANDLER"
PROFILE_TOP = "PROFILE_TOP"
_ON = frozenset({"1", "true", "yes", "on"})

H = TypeVar("H", bound=Callable[..., Any])


def profiled(handler: H) -> H:
    """``handler`` itself, unless ``PROFILE_HANDLER`` is on (1/true/yes/on) when it is wrapped (cold start):
    then each invocation runs under cProfile and logs its ``PROFILE_TOP`` (default 25) most expensive
    functions by cumulative time as one ``handler profile`` entry. Off by default: profiling slows every call.
    It stands in for the seed's /debug/pprof, with X-Ray traces and the Powertools metrics."""
    if os.environ.get(PROFILE_SWITCH, "").strip().lower() not in _ON:
        return handler
    import cProfile  # only when profiling: no cost at a normal cold start

    top = _top_entries()

    @functools.wraps(handler)
    def profiling(*args: Any, **kwargs: Any) -> Any:
        profile = cProfile.Profile()
        try:
            return profile.runcall(handler, *args, **kwargs)
        finally:
            logger.info("handler profile", extra={"profile": profile_entries(profile, top)})

    return cast(H, profiling)


def _top_entries() -> int:
    try:
        return max(1, int(os.environ.get(PROFILE_TOP, "25")))
    except ValueError:
        return 25


def profile_entries(profile: cProfile.Profile, top: int) -> list[dict[str, Any]]:
    """The ``top`` functions of ``profile`` by cumulative time: where, how often, own and cumulative ms."""
    import pstats

    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{filename}:{line}({name})",
                "calls": calls,
                "own_ms": round(own * 1000, 3),
                "cumulative_ms": round(cumulative * 1000, 3),
            }
        )
    rows.sort(key=lambda row: row["cumulative_ms"], reverse=True)
    return rows[:top]
