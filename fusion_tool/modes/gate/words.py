"""Counting words, in any script.

A word is a whitespace-separated token with a letter or a digit in it. Chinese, Japanese and
Korean are counted by characters instead: each Han, kana or Hangul character is
``CJK_WORDS_PER_CHAR`` of a word (a word of English is about two characters of Chinese or
Japanese and two Hangul syllables, measured on translated text), so the floor of 12 words is
24 characters of Chinese. Korean's spaces separate phrases, not words, and are not used.
"""

from __future__ import annotations

import re

CJK_WORDS_PER_CHAR = 0.5
DENSE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
DENSE_RUN = re.compile(DENSE.pattern + "+")
_ASCII_DROP = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if not c.isalnum() and not c.isspace()))


def count_words(text: str) -> int:
    """Tokens with a letter or digit, plus CJK characters at ``CJK_WORDS_PER_CHAR`` each (rounded down).

    On ASCII, dropping every character that is neither a letter, a digit nor a space leaves exactly
    the tokens that had a letter or a digit (a token of punctuation alone disappears)."""
    if text.isascii():
        return len(text.translate(_ASCII_DROP).split())
    spaced, dense = text, 0
    if DENSE.search(text):
        spaced, dense = DENSE_RUN.sub(" ", text), len(text) - len(DENSE_RUN.sub("", text))
    # a token counts when it has a letter or a digit (str.isalnum is C; most tokens pass at once)
    return sum(1 for token in spaced.split() if token.isalnum() or any(map(str.isalnum, token))) + int(
        dense * CJK_WORDS_PER_CHAR)


def count_at_least(text: str, enough: int, chars: int = 1200) -> tuple[int, bool]:
    """``(count_words(text), True)``, or on a long text ``(n, False)`` with ``n >= enough`` counted on its
    first ``chars`` characters only (a long turn need not be counted to the last word)."""
    if len(text) > chars:
        head = text[:chars].rsplit(None, 1)  # not a word cut in two
        n = count_words(head[0] if len(head) > 1 else text[:chars])
        if n >= enough:
            return n, False
    return count_words(text), True


def has_dense(text: str) -> bool:
    return not text.isascii() and DENSE.search(text) is not None
