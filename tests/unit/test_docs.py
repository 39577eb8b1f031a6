"""The documentation names every setting the code reads, and no setting the code does not read."""

from __future__ import annotations

import re

from localdev.paths import ROOT
from storefront.config import CacheSettings, CorsSettings, DatabaseSettings, GatewaySettings, TokenSettings


def test_every_setting_is_documented_in_architecture():
    table = (ROOT / "ARCHITECTURE.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table)) - {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        "STOREFRONT",
    }
    read = {
        name.upper()
        for settings in (GatewaySettings, CorsSettings, TokenSettings, DatabaseSettings, CacheSettings)
        for name in settings.model_fields
    }
    assert documented == read
