"""Whole-word search: the words a text is found by, and the words a search asks for.

A text is split into words (runs of letters and digits), each folded to lower case (NFKC, then
``casefold``) and cut to ``TERM_MAX`` characters. A search matches a text when every word of the
search is a word of the text, in any order: ``"pot tea"`` finds "Cast-iron tea pot", not "Teapot" nor
"Teacup with potholder" (no word of them is "tea"). Punctuation separates words and is never searched.

Why whole words, not word prefixes: a product is stored once per distinct word of its name, so the
products having one word are one index range without repeats, and the exact total (up to the list's cap)
is counted from that range alone. With prefixes a product can match through two words ("tea" in
"teapot teacup"), and an exact total would have to de-duplicate every match before counting.
"""

from __future__ import annotations

import re
import unicodedata

TERM_MAX = 64
SEARCH_WORDS_MAX = 8
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str, *, cut: bool = True) -> tuple[str, ...]:
    """The distinct folded words of ``text``, in order of first appearance, each cut to TERM_MAX unless ``cut``
    is false (a search checks the words it was given are not longer than anything stored)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    limit = TERM_MAX if cut else None
    return tuple(dict.fromkeys(w[:limit] for w in _WORD.findall(folded)))


def matches(query_words: tuple[str, ...], text: str) -> bool:
    """Whether every query word is a word of ``text`` (what the database search answers)."""
    words = set(search_words(text))
    return all(q in words for q in query_words)
