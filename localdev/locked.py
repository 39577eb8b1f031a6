"""Run a command while holding an exclusive lock on a file: python localdev/locked.py LOCKFILE COMMAND...

The Makefile runs its virtualenv installs through this, so `make token` in a second terminal waits for
the install `make run` started instead of racing it (two pips in one virtualenv break each other). It
uses only the standard library because it runs before the virtualenv exists, and fcntl rather than the
flock(1) tool, which macOS does not ship.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys


def run_locked(lock_path: str, command: list[str]) -> int:
    """Wait for the lock on ``lock_path``, run ``command`` holding it; the command's exit status."""
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if we are killed
        return subprocess.call(command)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python localdev/locked.py LOCKFILE COMMAND [ARG...]", file=sys.stderr)
        return 2
    return run_locked(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
