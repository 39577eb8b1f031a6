"""A PostgreSQL server of a test's own (initdb in a temporary folder, its own port), so it can be stopped mid-run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from localdev.stack import free_port

# PostgreSQL refuses to run as root: the server then runs as the postgres account.
_AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _binary(name: str) -> str:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is required for a private PostgreSQL server")
    return found


class PrivatePostgres:
    """initdb + pg_ctl on a free port; ``url`` reaches it over TCP with trust authentication."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: the postgres account could not reach into root's private folder.
        self.folder = Path(tempfile.mkdtemp(prefix="storefront-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*_AS_POSTGRES, *command], check=True, capture_output=True, timeout=60)

    def initialise(self) -> None:
        if _AS_POSTGRES:
            shutil.chown(self.folder, "postgres")
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        """Stop at once (immediate mode: open connections are cut, as when a server dies)."""
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        """Stop it if it runs, and delete its files."""
        if self.running():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
