"""Service keys: what a calling service presents in X-API-Key next to its service-role token.

A key is 256 random bits (43 URL-safe characters after a ``sk_`` prefix) and is stored only as its SHA-256
digest. A fast digest is enough because the key is not a human password: there is no dictionary to try, and
2**256 guesses are out of reach, while a deliberately slow hash would cost every service request its time.
Each service keeps at most ``ACTIVE_KEYS_MAX`` active keys per tenant, so a new key can be rolled out to the
callers while the previous one still works; making a third retires the oldest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from storefront.domain.errors import ErrorCode, ValidationFailed

ACTIVE_KEYS_MAX = 2
KEY_PREFIX = "sk_"
KEY_BYTES = 32
KEY_MAX = 128  # a longer X-API-Key is not one of ours (ours are 46 characters)
SERVICE_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def check_service_name(name: str) -> str:
    """The name when it is a valid service name (lowercase letters, digits, ``.``, ``_``, ``-``; 1..64,
    starting with a letter or digit); VAL_002 otherwise."""
    if not SERVICE_NAME_PATTERN.fullmatch(name):
        raise ValidationFailed.single(
            "service", ErrorCode.INVALID_FORMAT, "must be 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a-z or 0-9"
        )
    return name


def key_digest(key: str) -> str:
    """The stored form of a key: its SHA-256 digest in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def digest_matches(stored: str, presented: str) -> bool:
    """Whether a presented key's digest equals a stored one, in time independent of where they differ."""
    return hmac.compare_digest(stored.encode(), presented.encode())


@dataclass(frozen=True, slots=True)
class ServiceKey:
    """A stored key of one service in one tenant (never the key itself)."""

    id: UUID
    tenant_id: UUID
    service_name: str
    key_hash: str
    created_at: datetime
    created_by: str
    retired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IssuedServiceKey:
    """A new key: the stored record and the key itself, shown once to whoever made it."""

    record: ServiceKey
    key: str


def issue_key(tenant_id: UUID, service_name: str, actor: str, now: datetime) -> IssuedServiceKey:
    """A new random key for ``service_name`` and its stored record."""
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    record = ServiceKey(uuid4(), tenant_id, check_service_name(service_name), key_digest(key), now, actor)
    return IssuedServiceKey(record, key)
