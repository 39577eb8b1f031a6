"""The documentation names every setting the code reads, and no setting the code does not read; it states the
order rules as the domain has them."""

from __future__ import annotations

import re
import subprocess

from localdev.paths import ROOT
from storefront.adapters.notify.files import FileNotifier
from storefront.application.ports import Email
from storefront.config import (
    CacheSettings,
    CorsSettings,
    DatabaseSettings,
    GatewaySettings,
    OperationsSettings,
    PaymentSettings,
    QueueSettings,
    RateLimitSettings,
    TokenSettings,
)
from storefront.domain.orders import TERMINAL, OrderStatus


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
        for settings in (
            GatewaySettings,
            CorsSettings,
            TokenSettings,
            DatabaseSettings,
            CacheSettings,
            RateLimitSettings,
            QueueSettings,
            PaymentSettings,
            OperationsSettings,
        )
        for name in settings.model_fields
    }
    assert documented == read


def test_make_run_installs_a_driver_for_every_database_url_the_readme_names():
    readme = (ROOT / "README.md").read_text()
    pinned = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements" / "local.txt").read_text().splitlines()
        if "==" in line
    }
    drivers = set(re.findall(r"`[a-z]+\+([a-z]+)://", readme))
    assert drivers
    assert drivers <= pinned


def test_the_readme_says_which_order_states_allow_a_change_and_a_delete_as_the_domain_rules_them():
    """Outside pass: the README said an order is "changed (PUT/PATCH) or deleted only while it is PENDING"; a
    delete is for finished orders only."""
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "or deleted only while it is PENDING" not in readme
    finished = ", ".join(sorted(status.value for status in TERMINAL)[:-1]) + f" or {sorted(TERMINAL)[-1].value}"
    assert f"deleted (DELETE) only once it is {finished}" in readme
    assert OrderStatus.PENDING not in TERMINAL
    for taken in ("`shipping_address` required", "`notes` optional", "`version` optional", "one left out keeps"):
        assert taken in readme, taken


def test_the_readme_finds_the_reset_email_after_newer_order_emails(tmp_path):
    """Outside pass: "open the newest .eml" opened an order email after the tour; the README's command finds the
    reset email by its subject among files the local mail adapter writes."""
    readme = " ".join((ROOT / "README.md").read_text().split())
    [command] = re.findall(r"`(grep -l \"Subject: Reset your Storefront password\" [^`]+)`", readme)
    mail = FileNotifier(tmp_path / ".local" / "mail", "shop@example.com")
    user = "user@demo.storefront.test"
    mail.send(Email(to=user, subject="Reset your Storefront password", text="token=abc", html="<p>abc</p>"))
    mail.send(Email(to=user, subject="Your order is confirmed", text="order", html="<p>order</p>"))
    found = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=True)
    [path] = found.stdout.split()
    assert "Reset your Storefront password" in (tmp_path / path).read_text()
