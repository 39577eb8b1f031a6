"""Word-prefix search: the words a text is found by, and the words a search asks for.

A text is split into words (runs of letters and digits), each folded to lower case (NFKC, then
``casefold``) and cut to ``TERM_MAX`` characters. A search matches a text when every word of the
search begins some word of the text: ``"tea pot"`` finds "Cast-iron tea pot" and "Teacup with potholder",
not "Teapot stand" (no word of it starts with "pot"). Punctuation separates words and is never searched.
"""

from __future__ import annotations

import re
import unicodedata

TERM_MAX = 64
SEARCH_WORDS_MAX = 8
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> tuple[str, ...]:
    """The distinct folded words of ``text``, in order of first appearance."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return tuple(dict.fromkeys(w[:TERM_MAX] for w in _WORD.findall(folded)))


def matches(query_words: tuple[str, ...], text: str) -> bool:
    """Whether every query word begins some word of ``text`` (what the database search answers)."""
    words = search_words(text)
    return all(any(w.startswith(q) for w in words) for q in query_words)


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string above every string that starts with ``prefix`` (code point order).

    ``term >= prefix AND term < prefix_upper_bound(prefix)`` is a prefix match any B-tree can serve.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            following = last + 1
            if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters; skip to the next one
                following = 0xE000
            return "".join(chars) + chr(following)
    raise ValueError("no upper bound for an empty prefix or one of U+10FFFF only")
