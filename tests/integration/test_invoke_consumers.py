"""`make invoke` with the consumers' sample events: each does its real work on the sample order (the fake
payment provider served by the call, the email written), not a silent skip of an order that does not exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from localdev.invoke import SAMPLE_ORDER
from localdev.paths import ROOT

CONSUMERS = [
    ("ProcessOrderFunction", "events/orders/process_order.json", "PENDING (payment pending)", "RESERVED"),
    ("ProcessPaymentFunction", "events/orders/process_payment.json", "RESERVED (payment pending)", "CONFIRMED"),
    ("SendNotificationFunction", "events/notifications/send_notification.json", "CONFIRMED", "CONFIRMED"),
]


@pytest.mark.parametrize(("function", "event", "before", "after"), CONSUMERS)
def test_a_consumer_sample_event_acts_on_the_sample_order(function, event, before, after, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PAYMENT_PROVIDER_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'invoke.db'}"
    env["MAIL_DIRECTORY"] = str(tmp_path / "mail")
    result = subprocess.run(
        [sys.executable, "-m", "localdev.invoke", function, event],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    assert f"sample order {SAMPLE_ORDER} is {before}" in result.stderr
    assert f"sample order {SAMPLE_ORDER} is {after}" in result.stderr.split("before the event", 1)[1]
    mails = list((tmp_path / "mail").glob("*.eml"))
    confirmations = [m for m in mails if f"Your order {str(SAMPLE_ORDER)[:8]} is confirmed" in m.read_text()]
    assert len(confirmations) == (1 if function == "SendNotificationFunction" else 0)
