"""Every sample event in events/ runs against the embedded local stack, as `make invoke` runs it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localdev.invoke import run
from localdev.stack import local_stack
from storefront import bootstrap

# In an order that keeps every event meaningful: reads, then writes, then the delete.
EVENTS = [
    ("GetProductFunction", "products/get_product.json", 200),
    ("ListProductsFunction", "products/list_products.json", 200),
    ("CreateProductFunction", "products/create_product.json", 201),
    ("UpdateProductFunction", "products/update_product.json", 200),
    ("ReplaceProductFunction", "products/replace_product.json", 200),
    ("DeleteProductFunction", "products/delete_product.json", 204),
    ("ListUsersFunction", "users/list_users.json", 200),
    ("GetUserFunction", "users/get_user.json", 200),
    ("GetUserProfileFunction", "users/get_user_profile.json", 200),
    ("GetProfileFunction", "me/get_profile.json", 200),
    ("GetSettingsFunction", "me/get_settings.json", 200),
    ("AdminListUsersFunction", "admin/list_users.json", 200),
    ("AdminGetUserFunction", "admin/get_user.json", 200),
    ("AdminGetStatsFunction", "admin/get_stats.json", 200),
    ("AdminGetReportsFunction", "admin/get_reports.json", 200),
    ("AdminGetAnalyticsFunction", "admin/get_analytics.json", 200),
    ("CreateUserFunction", "users/create_user.json", 201),
    ("ReplaceUserFunction", "users/replace_user.json", 200),
    ("UpdateUserFunction", "users/update_user.json", 200),
    ("ReplaceUserProfileFunction", "users/replace_user_profile.json", 200),
    ("ReplaceProfileFunction", "me/replace_profile.json", 200),
    ("ReplaceSettingsFunction", "me/replace_settings.json", 200),
    ("AdminUpdateUserFunction", "admin/replace_user.json", 200),
    ("BanUserFunction", "admin/ban_user.json", 200),
    ("UnbanUserFunction", "admin/unban_user.json", 200),
    ("AdminDeleteUserFunction", "admin/delete_user.json", 204),
]
# Run after the account the events name was deleted by the one before, and brought back.
LAST = ("DeleteUserFunction", "users/delete_user.json", 204)


@pytest.fixture
def stack(tmp_path: Path):
    saved = dict(os.environ)
    bootstrap.reset()
    with local_stack("apigw", f"sqlite:///{tmp_path / 'events.db'}") as env:
        bootstrap.reset()
        yield env
    os.environ.clear()
    os.environ.update(saved)
    bootstrap.reset()


def test_every_sample_event_succeeds_on_the_local_stack(stack):
    root = Path(__file__).resolve().parents[2] / "events"
    for function, event, status in EVENTS:
        result = run(function, root / event)
        assert result["statusCode"] == status, (function, result.get("body"))
    _undelete_demo_user()
    function, event, status = LAST
    result = run(function, root / event)
    assert result["statusCode"] == status, (function, result.get("body"))
    result = run("AuthorizerFunction", root / "identity" / "authorizer.json")
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    again = run("CreateProductFunction", root / "products/create_product.json")
    assert json.loads(again["body"])["error"]["code"] == "BIZ_002"


def _undelete_demo_user() -> None:
    """The demo user back, and its sessions' revocation (by the ban and the delete) forgotten, so the sample
    event's token, issued before them, is good again."""
    from redis import Redis
    from sqlalchemy import update

    from localdev.stack import DEMO_ACCOUNTS, DEMO_TENANT
    from storefront.adapters.cache.rate_limiter import sessions_key
    from storefront.adapters.db.tables import USERS

    user_id = DEMO_ACCOUNTS[1][0]
    with bootstrap.engine().begin() as connection:
        connection.execute(update(USERS).where(USERS.c.ID == user_id).values(DELETED_AT=None))
    Redis.from_url(os.environ["REDIS_URL"]).delete(sessions_key(DEMO_TENANT, str(user_id)))
