"""Metric families in the Prometheus text exposition format (version 0.0.4), written by hand: no client library
in the function for a few dozen lines of text."""

from __future__ import annotations

import math
from collections.abc import Iterable

from storefront.domain.health import MetricFamily

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def exposition(families: Iterable[MetricFamily]) -> str:
    """The text Prometheus scrapes: HELP and TYPE lines, then one line per sample."""
    lines: list[str] = []
    for family in families:
        # Text format 0.0.4 names a counter by its samples' name, ``_total`` included (as prometheus_client writes
        # it): under the bare name a parser reads a counter without samples and an untyped ``..._total``.
        named = family.name + "_total" if family.type == "counter" else family.name
        lines.append(f"# HELP {named} {_escape_help(family.help)}")
        lines.append(f"# TYPE {named} {family.type}")
        for sample in family.samples:
            labels = ",".join(f'{key}="{_escape_label(value)}"' for key, value in sample.labels)
            lines.append(f"{family.name}{sample.suffix}{'{' + labels + '}' if labels else ''} {_number(sample.value)}")
    return "\n".join(lines) + "\n"
