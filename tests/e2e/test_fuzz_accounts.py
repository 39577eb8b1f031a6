"""`make fuzz` fuzzes the operations that can end its caller's account as fresh admins it creates through the API."""

from __future__ import annotations

from localdev.fuzz import fresh_admin
from localdev.stack import DEMO_ACCOUNTS
from tests.e2e.conftest import token


def test_a_fresh_admin_is_a_real_admin_account_of_the_demo_tenant(gateway):
    _, client = gateway
    admin_id = fresh_admin(client.port, str(DEMO_ACCOUNTS[0][0]))
    assert admin_id != str(DEMO_ACCOUNTS[0][0])
    as_itself = token("admin", sub=admin_id)
    profile = client.call("GET", "/profile", token=as_itself)
    assert profile.status == 200, profile.json
    assert client.call("GET", "/admin/users?limit=1", token=as_itself).status == 200
    seen = client.call("GET", f"/users/{admin_id}", token=token("admin", sub=str(DEMO_ACCOUNTS[0][0])))
    assert (seen.status, seen.json["data"]["role"]) == (200, "admin")
