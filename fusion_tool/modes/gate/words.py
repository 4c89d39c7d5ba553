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
_NON_WORD_CHAR = re.compile(r"[^\w\s]|_")
_ASCII_DROP = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if not c.isalnum() and not c.isspace()))


def count_words(text: str) -> int:
    """Tokens with a letter or digit, plus CJK characters at ``CJK_WORDS_PER_CHAR`` each (rounded down).

    Dropping every character that is neither a letter, a digit nor a space leaves exactly the
    tokens that had a letter or a digit (a token of punctuation alone disappears)."""
    if text.isascii():
        return len(text.translate(_ASCII_DROP).split())
    dense = len(DENSE.findall(text))
    if dense:
        text = DENSE.sub(" ", text)
    return len(_NON_WORD_CHAR.sub("", text).split()) + int(dense * CJK_WORDS_PER_CHAR)


def has_dense(text: str) -> bool:
    return DENSE.search(text) is not None
