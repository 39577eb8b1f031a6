"""The README's five-minute tour, run literally (only the port differs) against the local gateway."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from localdev.gateway_process import running_gateway
from localdev.paths import ROOT
from tests.e2e.conftest import Client, run_script


@pytest.fixture(params=["kong", "apigw"])
def fresh_gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    """A gateway of the tour's own, as a newcomer's first `make run` is: nothing else has spent the public
    auth routes' per-address budget (10 a minute) that the tour's logins and its burst use."""
    with running_gateway(request.param, f"sqlite:///{tmp_path}/tour.db", tmp_path / "gateway.log") as port:
        yield Client(port)


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Five-minute tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the tour is one sh block"
    return blocks[0]


def run_tour(port: int) -> subprocess.CompletedProcess[str]:
    return run_script(tour_script().replace("127.0.0.1:3000", f"127.0.0.1:{port}"))


def test_the_readme_tour_works_as_written_and_runs_again(fresh_gateway):
    client = fresh_gateway
    result = run_tour(client.port)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert_tour_output(result.stdout)
    # Outside pass: a second run printed Python tracebacks (the json helper on an error's "data": null).
    # Within the minute of the burst its logins are 429 (past it, a full run): either way it runs through.
    again = run_tour(client.port)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr + again.stdout
    assert again.stdout.rstrip().endswith("429"), again.stdout


def assert_tour_output(out: str) -> None:
    expected_in_order = [
        '"sku":"TEA-',  # the list, cheapest first
        'ETag: "v1"',
        "X-Cache: MISS",
        "304",
        '"version":2',
        '"code":"BIZ_002"',
        "204",
        '"code":"BIZ_001"',
        '"code":"AUTH_003"',
        '"code":"AUTH_001"',
        '"code":"AUTH_002"',
        "Bearer",  # a refresh answers a new pair
        '"code":"AUTH_001"',  # the old refresh token replayed
        "204",  # logout
        '"code":"AUTH_001"',  # its access token refused
        '"status_code":202',  # forgot-password
        ".eml",  # the email on disk
        "PENDING",  # an order placed
        "same response",  # its Idempotency-Key replayed: the first response, byte for byte
        "CONFIRMED captured",  # through the pollers, the saga and the fake provider
        "118",  # its stock taken
        '"kind":"confirmed"',  # in its history
        "FAILED declined",  # tok_decline
        "118",  # the declined order's stock back
        "CANCELLED",  # the confirmed order cancelled
        "CANCELLED refunded",  # and refunded
        "120",  # its stock back
        '"code":"BIZ_001"',  # another user's order
        "admin: 200",  # an admin of the tenant reaches it
        "'total': 1",  # the admin's list of CONFIRMED orders: the third one
        "SHIPPED",  # the admin ships it
        "DELIVERED",  # and delivers it
        ".eml",  # the order emails on disk
        "429",  # the burst ends in 429
    ]
    position = 0
    for text in expected_in_order:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} missing after position {position} in:\n{out}"
        position = found + len(text)
