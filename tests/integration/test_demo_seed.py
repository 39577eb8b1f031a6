"""The demo catalogue is seeded once, when the demo tenant has no products, and the README says so."""

from __future__ import annotations

import os
import re

from localdev.paths import ROOT
from localdev.stack import DEMO_ACCOUNTS, DEMO_PRODUCTS, DEMO_TENANT, local_stack, seed_demo_accounts, seed_demo_data
from storefront import bootstrap
from tests.integration.conftest import REDIS_URL


def test_demo_data_is_seeded_once_as_the_readme_says(tmp_path):
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "at every start" not in re.sub(r"migrates it at every start", "", readme)
    assert "seeds five demo products" in readme
    assert "once, when that tenant has never had them" in readme

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


def test_a_demo_account_deleted_through_the_api_stays_deleted_and_the_next_start_still_works(tmp_path):
    from storefront.application import users
    from storefront.domain.identity import Principal, Role

    saved = dict(os.environ)
    database = f"sqlite:///{tmp_path / 'accounts.db'}"
    redis = REDIS_URL  # a delete ends the account's sessions in Redis: it fails closed without one
    admin_id, _, _, _, _ = DEMO_ACCOUNTS[0]
    user_id = DEMO_ACCOUNTS[1][0]
    try:
        with local_stack("kong", database, redis):
            bootstrap.reset()
            assert seed_demo_accounts() == 0
            admin = Principal(str(admin_id), "demo-admin", Role.ADMIN, DEMO_TENANT)
            users.delete_user(bootstrap.users(), admin, user_id, None)
        with local_stack("kong", database, redis):
            bootstrap.reset()
            assert seed_demo_accounts() == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


def test_a_start_after_every_demo_product_was_deleted_adds_nothing_and_starts(tmp_path):
    """Outside pass: after the demo products were deleted, the next start seeded their SKUs again and
    `make run` died on the unique constraint."""
    from storefront.application import products
    from storefront.application.queries import ProductQuery
    from storefront.domain.identity import Principal, Role

    saved = dict(os.environ)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    try:
        with local_stack("kong", url, "redis://127.0.0.1:1/0"):
            bootstrap.reset()
            admin = Principal("9f0c2a51-3f55-4e57-bb8e-2a3f1c9a0001", "admin", Role.ADMIN, DEMO_TENANT)
            for product_id, *_ in DEMO_PRODUCTS:
                products.delete_product(bootstrap.catalog(), admin, product_id, None)
        with local_stack("kong", url, "redis://127.0.0.1:1/0"):
            bootstrap.reset()
            assert seed_demo_data() == 0
            assert products.list_products(bootstrap.catalog(), DEMO_TENANT, ProductQuery()).total == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


def test_two_local_runs_starting_together_on_a_new_database_both_start(tmp_path):
    """Outside pass: the second of two `make run` started at once died migrating the same new database."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from localdev.stack import local_stack\n"
        "with local_stack('kong', sys.argv[1], 'redis://127.0.0.1:1/0', 3999) as env:\n"
        "    assert env['RESET_LINK'].startswith('http://127.0.0.1:3999/')\n"
    )
    url = f"sqlite:///{tmp_path / 'together.db'}"
    runs = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=120), run.stderr.read() if run.stderr else "") for run in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
