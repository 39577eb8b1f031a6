"""Text every backend can store: Unicode scalar values only (no lone surrogates) and no NUL character.

PostgreSQL refuses NUL in text, every driver refuses to encode a lone surrogate; SQLite and Oracle would take
some of these and the backends would disagree. Input holding either is refused before it reaches storage.
"""

from __future__ import annotations

import re

# The range of an INTEGER column on every backend (Oracle NUMBER(10) holds it too).
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# C0, DEL, C1, and the Unicode line and paragraph separators: one scan in C instead of a test per character
# (a batch of 1000 products checks 2000 names and SKUs; the per-character generator was a sixth of its time).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode (a lone surrogate)"
    return None


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a control character (C0, DEL or C1: line breaks and tabs included) or a
    Unicode line or paragraph separator, which a one-line field (a name, a SKU) never needs and which would
    break the lines of an email or a log."""
    return _CONTROL.search(text) is not None
