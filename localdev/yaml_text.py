"""YAML read with libyaml's parser when PyYAML was built with it (its wheels are): template.yaml and kong/kong.yml
are read by every `make invoke`, the local gateway and many tests, and the pure-Python parser took about a second
for the template alone."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """The data of a YAML document, read safely (plain data, no Python objects)."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
