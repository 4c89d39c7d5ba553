"""Matching the cue lists against a turn: normalise once, then a few dict lookups per word.

Scripts written with spaces (Latin, Cyrillic, Devanagari, Arabic, ...) are folded (case, Latin
accents, Arabic letter variants and diacritics, Devanagari nukta, ё) and split into words; a cue
starts at a word's start and ends at a word's end unless it ends with ``*`` (Arabic words lose
their proclitics و ف ب ك ل and the article ال first, on both sides, and Arabic cues of four
letters or more run on by default: its suffixes carry possessives). Chinese, Japanese and
Korean have no reliable word boundaries, so their cues are looked for as substrings, in at most
``DENSE_WINDOW`` characters from each end of a long turn (the ask and its framing live there).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fusion_tool.modes.gate.words import has_dense

DENSE_WINDOW = 600


_PUNCTUATION = "!\"#$%&()*+,./:;<=>?@[\\]^_{|}~“”«»„‚‹›—–…·•¿¡،؛؟。、，；：？！「」『』（）【】《》〈〉・～"
#: single characters folded anywhere: ligatures, ё, apostrophes, Arabic letter variants, tatweel, nukta
_REPLACE = (("ß", "ss"), ("æ", "ae"), ("œ", "oe"), ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ё", "е"), ("’", "'"),
            ("‘", "'"), ("ʼ", "'"), ("`", "'"), ("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ة", "ه"),
            ("ى", "ي"), ("ـ", ""), ("\u093c", ""), ("\u0901", "\u0902"))


def _accents() -> dict[str, str]:  # Latin-1 and Latin Extended-A/B: the letter without its accent
    out = {}
    for o in range(0x00C0, 0x0250):
        base = unicodedata.normalize("NFD", chr(o))[0].lower()
        if base.isascii() and base.isalpha() and chr(o) not in "ßæœøłđ":
            out[chr(o)] = base
    return out


_ACCENTS = _accents()
_ACCENTED = re.compile("[" + "".join(_ACCENTS) + "]")
_PUNCT = re.compile("[" + re.escape(_PUNCTUATION) + "]")
_HARAKAT = re.compile("[\u064b-\u0652]")
_ASCII_FOLD = str.maketrans({c: " " for c in _PUNCTUATION if c.isascii()} | {"`": "'"})
_AR_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ك", "ل")
_AR_CLITICS = re.compile("(?<![^\\s])(?:" + "|".join(_AR_PREFIXES) + ")(?=[\u0600-\u06ff]{3})")
_ARABIC = re.compile("[\u0600-\u06ff]")


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[:1] <= "\u06ff"


def fold(text: str) -> str:
    """Lowercase, punctuation to spaces, Latin accents and script variants folded (see the module doc)."""
    low = text.lower()
    if low.isascii():
        return low.translate(_ASCII_FOLD)  # str.translate's fast path; a table is slow on other scripts
    low = _PUNCT.sub(" ", low)
    if _ACCENTED.search(low):
        low = _ACCENTED.sub(lambda m: _ACCENTS[m.group()], low)
    for old, new in _REPLACE:
        if old in low:
            low = low.replace(old, new)
    return _HARAKAT.sub("", low) if _ARABIC.search(low) else low


def words_of(text: str) -> list[str]:
    """``text`` folded and split into words (Arabic words without their proclitics)."""
    folded = f" {' '.join(fold(text).split())} "
    if "'" in folded or "-" in folded:  # quotes and dashes around a word are not part of it
        folded = folded.replace(" '", " ").replace("' ", " ").replace(" -", " ").replace("- ", " ")
    if _ARABIC.search(folded):
        folded = _AR_CLITICS.sub("", folded)
    return folded.split()


@dataclass(frozen=True)
class Prepared:
    norm: str  # " word word ... "
    words: frozenset[str]
    pairs: frozenset[tuple[str, str]]  # each word with the next
    dense: str  # the lowercased turn (ends of it if long) when it holds CJK, else ""


def prepare(text: str) -> Prepared:
    words = words_of(text)
    dense = ""
    if has_dense(text):
        low = " ".join(text.lower().split())
        dense = low if len(low) <= 2 * DENSE_WINDOW else low[:DENSE_WINDOW] + " … " + low[-DENSE_WINDOW:]
    pairs = frozenset(zip(words, words[1:]))
    return Prepared(f" {' '.join(words)} ", frozenset(words), pairs, dense)


class Lexicon:
    """Families of cues (``{family: {lang: "a|b*|c d"}}``) indexed for matching."""

    def __init__(self, families: dict[str, dict[str, str]]):
        self.families = tuple(families)
        self._exact: dict[str, set[str]] = {}
        self._stems: dict[str, list[tuple[str, str]]] = {}  # by their first two characters
        self._phrases: dict[tuple[str, str], list[tuple[str, str]]] = {}  # by their first two words
        self._short_run_ons: dict[str, list[tuple[str, str]]] = {}  # two words, the second running on
        self._dense: dict[str, list[tuple[str, str]]] = {}  # by their first character
        self.cues: dict[str, tuple[str, ...]] = {}
        for family, by_lang in families.items():
            cues = [c.strip() for spec in by_lang.values() for c in spec.split("|") if c.strip()]
            self.cues[family] = tuple(cues)
            for cue in cues:
                self._add(family, cue)

    def _add(self, family: str, cue: str) -> None:
        if has_dense(cue):
            cue = " ".join(cue.lower().split())
            self._dense.setdefault(cue[0], []).append((cue, family))
            return
        run_on = cue.endswith("*")
        words = words_of(cue.rstrip("*"))
        if not words:
            raise ValueError(f"empty cue in {family!r}: {cue!r}")
        if _is_arabic(words[-1]) and len(words[-1]) >= 4:
            run_on = True
        if len(words) > 1:
            needle = f" {' '.join(words)}" + ("" if run_on else " ")
            if len(words) == 2 and run_on:
                self._short_run_ons.setdefault(words[0], []).append((needle, family))
            else:
                self._phrases.setdefault((words[0], words[1]), []).append((needle, family))
        elif run_on:
            if len(words[0]) < 2:
                raise ValueError(f"stem too short in {family!r}: {cue!r}")
            self._stems.setdefault(words[0][:2], []).append((words[0], family))
        else:
            self._exact.setdefault(words[0], set()).add(family)

    def match(self, text: Prepared) -> dict[str, set[str]]:
        """For each family with a hit, the distinct cues (words, stems, phrases) that matched."""
        found: dict[str, set[str]] = {}
        exact, stems, phrases, run_ons = self._exact, self._stems, self._phrases, self._short_run_ons
        for word in text.words:
            for family in exact.get(word, ()):
                found.setdefault(family, set()).add(word)
            for stem, family in stems.get(word[:2], ()):
                if word.startswith(stem):
                    found.setdefault(family, set()).add(stem + "*")
            for needle, family in run_ons.get(word, ()):
                if needle in text.norm:
                    found.setdefault(family, set()).add(needle.strip() + "*")
        for pair in text.pairs:
            for needle, family in phrases.get(pair, ()):
                if needle in text.norm:
                    found.setdefault(family, set()).add(needle.strip())
        if text.dense:
            dense = self._dense
            for first in dense.keys() & set(text.dense):  # only cues whose first character occurs
                for cue, family in dense[first]:
                    if cue in text.dense:
                        found.setdefault(family, set()).add(cue)
        return found


def pairs_present(text: Prepared, pairs: dict[str, tuple[str, str]]) -> bool:
    """Is there a word of a pair's first list and one of its second in the turn?"""
    for first, second in pairs.values():
        if not text.words.isdisjoint(words_of(first.replace("|", " "))) and not text.words.isdisjoint(
                words_of(second.replace("|", " "))):
            return True
    return False
