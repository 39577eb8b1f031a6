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
