"""The local tools read template.yaml and kong/kong.yml with libyaml's parser: the same data as PyYAML's own."""

from __future__ import annotations

import yaml

from localdev import template
from localdev.paths import KONG_CONFIG, TEMPLATE
from localdev.yaml_text import SafeLoader, read_yaml


class _PurePythonLoader(yaml.SafeLoader):
    """What template.py's loader was before: PyYAML's own parser, CloudFormation tags kept as written."""


_PurePythonLoader.add_multi_constructor("!", template._construct)


def test_the_libyaml_parser_is_the_one_in_use() -> None:
    # the pinned PyYAML wheel has libyaml; without it every read is 10x slower
    assert issubclass(SafeLoader, yaml.CSafeLoader)
    assert issubclass(template._Loader, yaml.CSafeLoader)


def test_the_template_reads_the_same_with_either_parser() -> None:
    text = TEMPLATE.read_text()
    fast = template.load_template()
    pure = yaml.load(text, Loader=_PurePythonLoader)  # noqa: S506 - a SafeLoader subclass
    assert repr(fast) == repr(pure)  # intrinsics compare by their tag and value as written


def test_kong_yml_reads_the_same_with_either_parser() -> None:
    text = KONG_CONFIG.read_text()
    assert read_yaml(text) == yaml.safe_load(text)


def test_read_yaml_builds_no_python_objects() -> None:
    try:
        read_yaml("!!python/object/apply:os.system ['true']")
    except yaml.constructor.ConstructorError:
        return
    raise AssertionError("a python tag was constructed")
