"""`make invoke` as a newcomer runs it: the result alone on stdout, the valid names for a wrong one."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from localdev.invoke import INVOKE_MAIL_DIRECTORY, function_for_event
from localdev.paths import ROOT
from localdev.stack import MAIL_DIRECTORY
from localdev.template import read_api


def make_invoke(tmp_path, *assignments: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JWT_SECRETS", "GATEWAY_MODE")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'invoke.db'}"
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "invoke", *assignments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_stdout_is_the_result_alone(tmp_path):
    result = make_invoke(tmp_path, "FN=GetProductFunction", "EVENT=events/products/get_product.json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)  # fails on any metric or log line before or after the result
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["data"]["sku"] == "MUG-001"
    assert "ColdStart" in result.stderr, "the handler's metrics still show, on stderr"


@pytest.mark.parametrize(
    ("assignments", "complaint"),
    [
        (("FN=GetProduct", "EVENT=events/products/get_product.json"), "unknown function 'GetProduct'"),
        (("FN=GetProductFunction", "EVENT=events/products/get.json"), "no event file 'events/products/get.json'"),
        (("FN=GetProductFunction",), "no event file given (EVENT=)"),
        ((), "no function given (FN=)"),
    ],
)
def test_a_wrong_name_lists_the_valid_ones_without_a_traceback(tmp_path, assignments, complaint):
    result = make_invoke(tmp_path, *assignments)
    assert result.returncode == 2
    assert result.stdout == ""
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    for function in read_api().functions:
        assert f"\n  {function}\n" in result.stderr
    for event in (ROOT / "events").rglob("*.json"):
        assert f"  {event.relative_to(ROOT)}\n" in result.stderr


def test_an_event_file_outside_events_or_of_no_function_is_refused_with_what_to_do(tmp_path):
    """New-user pass: EVENT= without FN= had no answer but "no function given"."""
    stray = tmp_path / "my_event.json"
    stray.write_text("{}")
    orphan = ROOT / "events" / "products" / "fix3_no_such_function.json"
    for event, complaint in [
        (str(stray), f"{stray} is not under events/, so it names no function: give FN="),
        (str(orphan), "no function of template.yaml has the code functions/products/fix3_no_such_function.py"),
    ]:
        if event == str(orphan):
            orphan.write_text("{}")
        try:
            result = make_invoke(tmp_path, f"EVENT={event}")
        finally:
            orphan.unlink(missing_ok=True)
        assert result.returncode == 2
        assert result.stdout == ""
        assert complaint in result.stderr
        assert "Traceback" not in result.stderr
        assert "\n  GetProductFunction\n" in result.stderr, "the valid names follow"


def test_emails_of_a_call_on_its_own_database_land_in_its_own_folder_not_make_runs():
    """New-user pass: the notification event wrote an .eml into .local/mail/, the folder `make run` serves from,
    for an order that exists only in the call's fresh database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "JWT_SECRETS", "GATEWAY_MODE", "DATABASE_URL", "MAIL_DIRECTORY")
    }
    runs_mail = set(MAIL_DIRECTORY.glob("*.eml"))
    invokes_mail = set(INVOKE_MAIL_DIRECTORY.glob("*.eml"))
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "invoke", "EVENT=events/notifications/send_notification.json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    assert set(MAIL_DIRECTORY.glob("*.eml")) - runs_mail == set(), "nothing new in make run's mail folder"
    [email] = set(INVOKE_MAIL_DIRECTORY.glob("*.eml")) - invokes_mail
    assert "user@demo.storefront.test" in email.read_text()


def test_an_event_that_deletes_the_demo_user_answers_alike_every_time_and_leaves_the_local_data_alone(tmp_path):
    """Outside pass: the ban and delete events removed the contract's demo user from `make run`'s database."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JWT_SECRETS", "GATEWAY_MODE", "DATABASE_URL")}
    statuses = []
    for _ in range(2):
        result = subprocess.run(
            [
                "make",
                "-s",
                "-C",
                str(ROOT),
                "invoke",
                "FN=AdminDeleteUserFunction",
                "EVENT=events/admin/delete_user.json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        statuses.append(json.loads(result.stdout)["statusCode"])
    assert statuses == [204, 204]


PENDING, CANCELLED = "PENDING (payment pending)", "CANCELLED (payment pending)"


@pytest.mark.parametrize(
    ("function", "event", "status", "before", "after"),
    [
        ("GetOrderFunction", "events/orders/get_order.json", 200, PENDING, PENDING),
        ("ReplaceOrderFunction", "events/orders/replace_order.json", 200, PENDING, PENDING),
        ("UpdateOrderFunction", "events/orders/update_order.json", 200, PENDING, PENDING),
        ("CancelOrderFunction", "events/orders/cancel_order.json", 200, PENDING, CANCELLED),
        ("DeleteOrderFunction", "events/orders/delete_order.json", 204, CANCELLED, "gone"),  # only a finished one
    ],
)
def test_the_http_order_events_act_on_the_order_they_name_and_answer_their_success_status(
    tmp_path, function, event, status, before, after
):
    """Outside pass: these events named no order, so `make invoke` answered 404 to every one of them."""
    result = make_invoke(tmp_path, f"FN={function}", f"EVENT={event}")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == status, answer["body"]
    order = "7b3e9d10-0001-4000-8000-000000000001"
    assert f"sample order {order} is {before} before the event" in result.stderr
    assert f"sample order {order} is {after} after it" in result.stderr
    if status == 200:
        assert json.loads(answer["body"])["data"]["id"] == order


EVENTS = sorted((ROOT / "events").rglob("*.json"))
# What an HTTP sample event answers when its function did its job (200 otherwise): created, accepted, no content,
# and the edge's catch-all whose job is the contract's 404.
SUCCESS = {"create": 201, "register": 201, "forgot_password": 202, "delete": 204, "logout": 204}
SUCCESS_EXACT = {
    "auth/reset_password": 204,
    "cors/preflight": 204,
    "edge/no_route": 404,
    "internal/process_order": 202,
}


def success_status(name: str) -> int:
    if name in SUCCESS_EXACT:
        return SUCCESS_EXACT[name]
    stem = name.rsplit("/", 1)[1]
    return next((status for prefix, status in SUCCESS.items() if stem.startswith(prefix)), 200)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: str(e.relative_to(ROOT / "events").with_suffix("")))
def test_every_sample_event_answers_its_success(tmp_path, event):
    """Outside pass: the admin order events answered 404 (no order seeded), the admin list listed nothing, the
    refresh event 401 and the reset one 422 (no token seeded). Every event must do what it shows."""
    name = str(event.relative_to(ROOT / "events").with_suffix(""))
    # EVENT= alone: the event file names its function (events/<ctx>/<name>.json <-> functions/<ctx>/<name>.py)
    result = make_invoke(tmp_path, f"EVENT={event.relative_to(ROOT)}")
    assert result.returncode == 0, result.stderr
    function, _ = function_for_event(event)
    assert f"{event.relative_to(ROOT)} is the event of {function}" in result.stderr
    answer = json.loads(result.stdout)
    if "statusCode" in answer:
        assert answer["statusCode"] == success_status(name), answer.get("body")
        if name == "admin/list_orders":
            assert json.loads(answer["body"])["data"], "the admin list shows the seeded order"
        # New-user pass: the admin's figures were all zero (no order on a fresh database, a range that had ended)
        if name == "admin/get_stats":
            assert json.loads(answer["body"])["data"]["revenue"]["today"], "the seeded paid order counts"
        if name == "admin/get_reports":  # the event asks for CSV: a header row, then the seeded order's product
            assert len(answer["body"].strip().splitlines()) == 2, answer["body"]
        if name == "admin/get_analytics":
            assert json.loads(answer["body"])["data"]["orders"]["confirmed"] == 1
        if name.startswith(("services/batch", "services/bulk_update")):  # the good items applied, not only refusals
            statuses = {r["status"] for r in json.loads(answer["body"])["data"]["results"]}
            assert statuses & {"created", "updated"}, answer["body"]
    elif "batchItemFailures" in answer:  # an SQS consumer: every record processed
        assert answer["batchItemFailures"] == []
    elif "policyDocument" in answer:  # the authorizer
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    elif name == "services/issue_service_key":  # an operator's direct invocation: the new key, once
        assert answer["key"].startswith("sk_")
        assert answer["service"] == "billing"
    else:  # the scheduled outbox relay: a round that failed nothing
        assert (set(answer), answer["failed"]) == ({"claimed", "published", "failed"}, 0)
