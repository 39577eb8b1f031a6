"""The version and git revision this code was built from, read from ``build.json`` beside this module.

``make build`` and ``make run`` write that file (``python -m localdev.stamp``) before ``sam build`` packs the
shared layer, so a deployed function answers the revision it was built from without git at run time. A tree
that was never stamped (a test run on a fresh clone) answers ``unknown``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from storefront.domain.timestamps import normalised

BUILD_FILE = Path(__file__).with_name("build.json")
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class BuildInfo:
    version: str
    revision: str
    built_at: str | None


@cache
def build_info(path: Path = BUILD_FILE) -> BuildInfo:
    """The stamped build (read once per container), or ``unknown`` for an unstamped tree."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return BuildInfo(UNKNOWN, UNKNOWN, None)
    if not isinstance(data, dict):
        return BuildInfo(UNKNOWN, UNKNOWN, None)
    return BuildInfo(
        str(data.get("version") or UNKNOWN),
        str(data.get("revision") or UNKNOWN),
        normalised(str(data.get("built_at") or "")),  # a build stamped before the one format had +00:00 and µs
    )
