"""The demo catalogue is seeded once, when the demo tenant has no products, and the README says so."""

from __future__ import annotations

import os
import re

from localdev.paths import ROOT
from localdev.stack import DEMO_PRODUCTS, local_stack, seed_demo_data
from storefront import bootstrap


def test_demo_data_is_seeded_once_as_the_readme_says(tmp_path):
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "at every start" not in re.sub(r"migrates it at every start", "", readme)
    assert "seeds five demo products" in readme
    assert "once, when that tenant has no products" in readme

    saved = dict(os.environ)
    try:
        with local_stack("kong", f"sqlite:///{tmp_path / 'demo.db'}", "redis://127.0.0.1:1/0"):
            bootstrap.reset()
            assert seed_demo_data() == 0  # local_stack seeded them already
            assert len(DEMO_PRODUCTS) == 5
        with local_stack("kong", f"sqlite:///{tmp_path / 'demo.db'}", "redis://127.0.0.1:1/0"):
            bootstrap.reset()
            assert seed_demo_data() == 0  # a second start adds nothing
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()
