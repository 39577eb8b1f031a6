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
