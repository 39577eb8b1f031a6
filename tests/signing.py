"""Tokens signed by hand, so tests can send claims an honest issuer (or PyJWT's encoder) would refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _part(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hand_signed(payload: dict[str, Any], secret: str, algorithm: str = "HS256") -> str:
    """A compact JWS of ``payload`` exactly as given; ``algorithm="none"`` leaves the signature empty."""
    header = _part(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    body = _part(json.dumps(payload).encode())
    signing_input = f"{header}.{body}".encode()
    if algorithm == "none":
        return f"{header}.{body}."
    signature = hmac.new(secret.encode(), signing_input, _HASHES[algorithm]).digest()
    return f"{header}.{body}.{_part(signature)}"
