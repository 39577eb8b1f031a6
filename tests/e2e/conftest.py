"""The local gateway as a newcomer runs it (`python -m localdev.gateway`, what `make run` starts), driven over HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localdev.gateway_process import running_gateway
from localdev.issue_token import make_token
from localdev.paths import ROOT
from localdev.stack import DEMO_TENANT

PREFIX = "/KONGAPI/api/v1"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        data = gzip.decompress(self.raw) if self.headers.get("content-encoding") == "gzip" else self.raw
        return json.loads(data) if data else None

    @property
    def code(self) -> str:
        return str(self.json["error"]["code"])


class Client:
    def __init__(self, port: int, database_url: str = "") -> None:
        self.port = port
        self.database_url = database_url  # the gateway's database (its Redis stand-in is recorded under it)

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = body if isinstance(body, bytes | str) or body is None else json.dumps(body)
        if payload is not None:
            sent.setdefault("Content-Type", "application/json")
        connection.request(
            method,
            PREFIX + path if not path.startswith("/KONGAPI") and path.startswith("/") else path,
            body=payload,
            headers=sent,
        )
        response = connection.getresponse()
        reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        connection.close()
        return reply


def token(role: str = "admin", tenant: str = str(DEMO_TENANT), ttl: int = 3600, sub: str | None = None) -> str:
    return make_token(role, tenant, sub or str(uuid.uuid5(uuid.NAMESPACE_URL, f"e2e-{role}")), f"e2e-{role}", ttl)


@pytest.fixture(scope="session", params=["kong", "apigw"])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Client]]:
    """A running gateway in each mode, on a fresh SQLite database and the in-process Redis stand-in."""
    mode = request.param
    folder = tmp_path_factory.mktemp(f"gateway-{mode}")
    database_url = f"sqlite:///{folder / 'e2e.db'}"
    with running_gateway(mode, database_url, folder / "gateway.log") as port:
        yield mode, Client(port, database_url)


def run_script(script: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A README block run as a reader pastes it into bash (stopping at the first failing command)."""
    command = ["bash", "-euo", "pipefail", "-c", script]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
