"""Write shared/storefront/build.json: the version (pyproject.toml) and the git revision (`make build`, `make run`).

    python -m localdev.stamp

The functions read the file (``storefront.build_info``); they never run git. A tree with uncommitted changes
is stamped ``<sha>-dirty``; outside a git checkout the revision is ``unknown``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from localdev.paths import ROOT

BUILD_FILE = ROOT / "shared" / "storefront" / "build.json"


def git_revision(root: Path = ROOT) -> str:
    """HEAD's commit id, with ``-dirty`` when tracked files changed; ``unknown`` without git."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        sha = subprocess.run(
            [git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        changed = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if changed else sha


def stamp(path: Path = BUILD_FILE, root: Path = ROOT) -> dict[str, str]:
    """Write the build file and return what it holds."""
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    # The contract's one timestamp format (storefront.domain.timestamps), written here without importing the layer.
    built_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    data = {"version": version, "revision": git_revision(root), "built_at": built_at}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return data


def main() -> None:
    data = stamp()
    print(f"stamped {BUILD_FILE.relative_to(ROOT)}: {data['version']} {data['revision']}")


if __name__ == "__main__":
    main()
