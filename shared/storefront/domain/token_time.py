"""When an access token counts as expired: Kong's jwt plugin rule, shared by every place that decides it.

Kong (kong/plugins/jwt/jwt_parser.lua) requires ``exp`` to be a number and calls a token expired once
``exp <= ngx.time()``, the current time in whole seconds, with no leeway. The token verifier, the API
Gateway authorizer and the functions' re-check of the authorizer context all use these helpers, so the
same token gets the same answer behind either gateway.
"""

from __future__ import annotations

import math
import re
import time
from typing import TypeGuard

_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}")


def is_json_number(value: object) -> TypeGuard[float]:
    """True for what a JSON number decodes to (int, or a finite float); False for str, bool and the rest."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def whole_seconds_now() -> int:
    """The current time as Kong's ``ngx.time()`` reports it: whole seconds since the epoch."""
    return math.floor(time.time())


def has_expired(expires: float, now: int) -> bool:
    """Kong's rule: expired once ``exp <= now``."""
    return expires <= now


def context_expiry(expires: float) -> int:
    """``exp`` as the whole second the authorizer passes on; rounding up keeps ``has_expired`` unchanged."""
    return math.ceil(expires)


def parse_context_expiry(value: object) -> int | None:
    """``exp`` read back from an authorizer context; None when it is missing or not a whole number.

    API Gateway turns every context value into a string before the function sees it, so ``"1700000000"``
    is expected here; the authorizer itself only ever passes an integer.
    """
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def time_ordered_id(now_ms: int, random_bits: int) -> str:
    """A UUIDv7 (RFC 9562) as 32 hex digits: ``now_ms`` in its first 48 bits, then version, variant and
    74 of ``random_bits``. The access tokens' ``jti``: unique, and it tells the millisecond it was issued."""
    value = (now_ms & (1 << 48) - 1) << 80 | 0x7 << 76 | (random_bits >> 62 & 0xFFF) << 64
    value |= 0b10 << 62 | random_bits & (1 << 62) - 1
    return f"{value:032x}"


def issued_at_ms(token_id: str | None, issued_at: int | None) -> int:
    """When a token was issued, in milliseconds: read from its ``jti`` when that is a UUIDv7 minted within
    its ``iat`` second (what login and refresh issue), else the first millisecond of the ``iat`` second, so a
    revocation in that same second still refuses it; 0 (the epoch) without ``iat``.

    Whole-second ``iat`` alone cannot order a token and a revocation of the same second: a user banned
    and unbanned, then signing in within that second, would get a token refused for its whole life.
    """
    if issued_at is None:
        return 0
    second_ms = issued_at * 1000
    minted = _uuid7_ms(token_id)
    if minted is not None and second_ms - 1000 < minted <= second_ms + 999:
        return minted
    return second_ms


_UUID7 = re.compile(r"[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}")


def _uuid7_ms(token_id: str | None) -> int | None:
    if token_id is None:
        return None
    compact = token_id.replace("-", "").lower()
    if not _UUID7.fullmatch(compact):
        return None
    return int(compact[:12], 16)
