"""What the operational endpoints report: each component's state, and metric families as Prometheus reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from storefront.domain.errors import AppError, ErrorCode


class ComponentState(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """One dependency as a probe found it: its state, how long the probe took, and why it is down."""

    name: str
    state: ComponentState
    latency_ms: float
    reason: str | None = None

    @property
    def up(self) -> bool:
        return self.state is ComponentState.UP


class NotReady(AppError):
    """503 SYS_003: a component the function needs did not answer in time; ``details.components`` names each."""

    code = ErrorCode.UNAVAILABLE
    default_message = "Service not ready"

    def __init__(self, components: list[ComponentStatus]) -> None:
        failed = [c.name for c in components if not c.up]
        super().__init__(
            f"Not ready: {', '.join(failed)} unavailable",
            details={"components": {c.name: c.state.value for c in components}},
        )
        self.components = components


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of a metric family, with its labels (in order)."""

    value: float
    labels: tuple[tuple[str, str], ...] = ()
    suffix: str = ""  # "_total" for a counter's sample, "" for a gauge


@dataclass(frozen=True, slots=True)
class MetricFamily:
    """A Prometheus metric family: its name, help text, type (gauge or counter) and samples."""

    name: str
    help: str
    type: str = "gauge"
    samples: tuple[Sample, ...] = field(default_factory=tuple)


def gauge(name: str, help_text: str, *samples: Sample) -> MetricFamily:
    """A gauge family."""
    return MetricFamily(name, help_text, "gauge", samples)


def counter(name: str, help_text: str, value: float, labels: tuple[tuple[str, str], ...] = ()) -> MetricFamily:
    """A counter family of one sample (its exposed name ends in ``_total``)."""
    return MetricFamily(name, help_text, "counter", (Sample(value, labels, "_total"),))
