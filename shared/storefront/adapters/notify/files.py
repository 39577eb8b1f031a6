"""The Notifier port for the local run: each message becomes a file a person can open."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from storefront.adapters.notify.mime import mime_message
from storefront.application.ports import Email


class FileNotifier:
    """Writes each email as an ``.eml`` file (plain text and HTML parts) into ``directory``.

    The parts are 8-bit, not quoted-printable: a person reads the file as it is and copies a link or token
    from it, which quoted-printable would break with soft line breaks and ``=3D``. Headers are UTF-8 (RFC 6532),
    so a Unicode address reads as it is.
    """

    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    def send(self, email: Email) -> None:
        message = mime_message(self._sender, email)
        self._directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        recipient = re.sub(r"[^A-Za-z0-9.@_-]", "_", email.to)[:80]
        path = self._directory / f"{stamp}-{recipient}-{uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
