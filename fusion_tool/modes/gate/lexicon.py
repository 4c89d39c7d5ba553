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

DENSE_WINDOW = 1500


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for o in range(0x00C0, 0x0250):  # Latin-1 and Latin Extended-A/B: drop the accents
        base = unicodedata.normalize("NFD", chr(o))[0].lower()
        if base.isascii() and base.isalpha():
            table[o] = base
    table.update({ord("ß"): "ss", ord("æ"): "ae", ord("œ"): "oe", ord("ø"): "o", ord("ł"): "l", ord("đ"): "d",
                  ord("ё"): "е", ord("Ё"): "е", ord("’"): "'", ord("‘"): "'", ord("ʼ"): "'", ord("`"): "'"})
    for ch in "أإآٱ":
        table[ord(ch)] = "ا"
    table.update({ord("ة"): "ه", ord("ى"): "ي", ord("ـ"): None, ord("\u093c"): None, ord("\u0901"): "\u0902"})
    for o in range(0x064B, 0x0653):  # Arabic harakat
        table[o] = None
    for ch in "!\"#$%&()*+,./:;<=>?@[\\]^_{|}~“”«»„‚‹›—–…·•¿¡،؛؟。、，；：？！「」『』（）【】《》〈〉・～":
        table[ord(ch)] = " "
    return table


_FOLD = _fold_table()
_AR_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ك", "ل")


_ARABIC = re.compile("[\u0600-\u06ff]")


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[:1] <= "\u06ff"


def _arabic_stem(word: str) -> str:
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix):]
    return word


def words_of(text: str) -> list[str]:
    """``text`` folded and split into words (Arabic words without their proclitics)."""
    folded = f" {' '.join(text.lower().translate(_FOLD).split())} "
    if "'" in folded or "-" in folded:  # quotes and dashes around a word are not part of it
        folded = folded.replace(" '", " ").replace("' ", " ").replace(" -", " ").replace("- ", " ")
    words = folded.split()
    if _ARABIC.search(folded):
        words = [_arabic_stem(w) if _is_arabic(w) else w for w in words]
    return words


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
        self._dense: list[tuple[str, str]] = []
        self.cues: dict[str, tuple[str, ...]] = {}
        for family, by_lang in families.items():
            cues = [c.strip() for spec in by_lang.values() for c in spec.split("|") if c.strip()]
            self.cues[family] = tuple(cues)
            for cue in cues:
                self._add(family, cue)

    def _add(self, family: str, cue: str) -> None:
        if has_dense(cue):
            self._dense.append((" ".join(cue.lower().split()), family))
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
            for cue, family in self._dense:
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
