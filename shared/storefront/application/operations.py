"""Readiness and metrics: every dependency asked at once, each within a deadline, a failure reported, not raised.

A probe or a metric source runs in its own thread, so one that hangs (a database that accepts the connection
and never answers) costs the deadline, not the function's timeout; its thread is left to its own timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from storefront.application.ports import HealthProbe, MetricSource
from storefront.domain.health import ComponentState, ComponentStatus, MetricFamily, NotReady, Sample, gauge
from storefront.observability import logger

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Outcome(Generic[T]):
    value: T | None
    error: str | None
    seconds: float


def _timed(task: Callable[[], T]) -> _Outcome[T]:
    """``task``'s result and how long it took, or the exception it raised (as its repr)."""
    started = time.perf_counter()
    try:
        value = task()
    except Exception as error:
        return _Outcome(None, repr(error), time.perf_counter() - started)
    return _Outcome(value, None, time.perf_counter() - started)


def _run_all(tasks: Sequence[tuple[str, Callable[[], T]]], deadline_seconds: float) -> list[_Outcome[T]]:
    """Run every task at once; each one's result, or why it failed (raised, or not done by the deadline)."""
    if not tasks:
        return []
    pool = ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="probe")
    try:
        futures: list[Future[_Outcome[T]]] = [pool.submit(_timed, task) for _, task in tasks]
        wait(futures, timeout=deadline_seconds)
        outcomes: list[_Outcome[T]] = []
        for (name, _), future in zip(tasks, futures, strict=True):
            if not future.done():
                late = f"no answer within {deadline_seconds:g} s"
                logger.warning("dependency check failed", extra={"component": name, "reason": late})
                outcomes.append(_Outcome(None, late, deadline_seconds))
                continue
            outcome = future.result()
            if outcome.error is not None:
                logger.warning("dependency check failed", extra={"component": name, "reason": outcome.error})
                outcome = _Outcome(None, outcome.error.partition("(")[0], outcome.seconds)
            outcomes.append(outcome)
        return outcomes
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def check_components(probes: Sequence[HealthProbe], deadline_seconds: float) -> list[ComponentStatus]:
    """Each probe's component, up when it answered within ``deadline_seconds``, with the time it took."""
    outcomes = _run_all([(p.name, p.check) for p in probes], deadline_seconds)
    return [
        ComponentStatus(
            probe.name,
            ComponentState.UP if outcome.error is None else ComponentState.DOWN,
            round(outcome.seconds * 1000, 1),
            outcome.error,
        )
        for probe, outcome in zip(probes, outcomes, strict=True)
    ]


def require_ready(probes: Sequence[HealthProbe], deadline_seconds: float) -> list[ComponentStatus]:
    """The components when every one is up; NotReady (503, naming each component's state) otherwise."""
    components = check_components(probes, deadline_seconds)
    if not all(c.up for c in components):
        raise NotReady(components)
    return components


def overall_state(components: Sequence[ComponentStatus]) -> str:
    """``ok`` when every component is up, ``down`` when none is, ``degraded`` in between."""
    up = sum(c.up for c in components)
    return "ok" if up == len(components) else ("down" if up == 0 else "degraded")


SOURCE_UP = "storefront_metrics_source_up"
SOURCE_SECONDS = "storefront_metrics_source_duration_seconds"


def collect_metrics(sources: Sequence[MetricSource], timeout_seconds: float) -> list[MetricFamily]:
    """Every source's families, each source bounded by ``timeout_seconds``; a source that failed or did not
    answer in time contributes nothing but ``storefront_metrics_source_up{source} 0`` (never an error)."""
    outcomes = _run_all([(s.name, s.collect) for s in sources], timeout_seconds)
    families: list[MetricFamily] = []
    up, took = [], []
    for source, outcome in zip(sources, outcomes, strict=True):
        labels = (("source", source.name),)
        up.append(Sample(1.0 if outcome.error is None else 0.0, labels))
        took.append(Sample(round(outcome.seconds, 6), labels))
        families.extend(outcome.value or [])
    families.append(gauge(SOURCE_UP, "1 when the metric source answered in time, 0 when it failed.", *up))
    families.append(gauge(SOURCE_SECONDS, "How long the metric source took to answer.", *took))
    return families
