"""Where things are in the checkout, and how to make its code importable as Lambda sees it."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
KONG_CONFIG = ROOT / "kong" / "kong.yml"
EVENTS = ROOT / "events"
STATE = ROOT / ".local"
STACK_NAME = "storefront-dev"


def database_state(kind: str, database_url: str, state: Path = STATE) -> Path:
    """The file of ``kind`` (sqs, redis, payments) that belongs to ``database_url``'s local run: one per database."""
    return state / f"{kind}-{hashlib.sha256(database_url.encode()).hexdigest()[:12]}.json"


def use_lambda_paths() -> None:
    """Put the function code and the shared layer on sys.path, as /var/task and /opt/python are in Lambda."""
    for folder in (ROOT / "functions", ROOT / "shared"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
