"""``LocalCorpus``: search and read a folder of Markdown, text and HTML documents, offline.

Documents get ``corpus://NAME/relative/path`` URLs (NAME is the folder's name). ``web_fetch`` of
such a URL is answered by the corpus from its index, never by the network fetcher, and only
for files it indexed: no path outside the folder, no symlink out of it, no other file type.

Ranking is BM25 over lower-cased word tokens (a light plural fold), with the title counted
twice; the snippet is the passage around the first matching term.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from fusion_tool.core.errors import FetchRefused
from fusion_tool.core.log import get_logger
from fusion_tool.pipeline.research.htmltext import strip_tags
from fusion_tool.pipeline.research.page import Page, truncate
from fusion_tool.pipeline.research.results import SearchResult

log = get_logger("fusion_tool.pipeline.research")

SUFFIXES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".rst": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
}
MAX_FILE_BYTES = 2_000_000
MAX_FILES = 20_000
SCHEME = "corpus://"
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be by do does for from has have how in is it its of on or that the this to
    was were what when where which who why with""".split()
)


def _stem(word: str) -> str:
    """A very light suffix fold (tides/tide, caused/cause, feeding/feed), same for query and text."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


@dataclass(frozen=True)
class Document:
    """One document of a local corpus.

    Attributes:
        rel: Its POSIX path relative to the corpus's root.
        title: Its first non-empty line (an HTML file's ``<title>``), else its path.
        text: Its text (an HTML file's without the tags).
        content_type: The media type its suffix names (see ``SUFFIXES``).
    """

    rel: str
    title: str
    text: str
    content_type: str


def _read(path: Path, rel: str) -> Document:
    raw = path.read_text(encoding="utf-8", errors="replace")
    kind = SUFFIXES[path.suffix.lower()]
    title = ""
    if kind == "text/html":
        title, raw = strip_tags(raw)
    else:
        for line in raw.splitlines():
            if line.strip():
                title = line.strip().lstrip("#").strip()
                break
    return Document(rel=rel, title=title or rel, text=raw.strip(), content_type=kind)


class LocalCorpus:
    """A folder of documents as a search provider and a reader of its ``corpus://`` URLs."""

    k1 = 1.5
    b = 0.75

    def __init__(self, root: str | Path, *, name: str | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        slug = re.sub(r"[^a-z0-9-]+", "-", (name or self.root.name).lower()).strip("-")
        self.name = slug or "corpus"
        self._docs: dict[str, Document] | None = None
        self._tf: dict[str, Counter[str]] = {}
        self._df: Counter[str] = Counter()
        self._avg = 1.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalCorpus({str(self.root)!r}, name={self.name!r})"

    # -- index -----------------------------------------------------------------------------

    def _files(self) -> list[tuple[Path, str]]:
        found: list[tuple[Path, str]] = []
        for path in sorted(self.root.rglob("*")):
            if len(found) >= MAX_FILES:
                break
            if path.suffix.lower() not in SUFFIXES or not path.is_file():
                continue
            real = path.resolve()
            if not real.is_relative_to(self.root) or real.stat().st_size > MAX_FILE_BYTES:
                continue
            rel = path.relative_to(self.root).as_posix()
            if any(part.startswith(".") for part in rel.split("/")):
                continue
            found.append((real, rel))
        return found

    def build(self) -> None:
        """(Re)read the folder; blocking, called once on first use."""
        started = time.monotonic()
        docs: dict[str, Document] = {}
        tf: dict[str, Counter[str]] = {}
        df: Counter[str] = Counter()
        for path, rel in self._files():
            doc = _read(path, rel)
            counts = Counter(tokens(doc.text) + tokens(doc.title) * 2)
            docs[rel], tf[rel] = doc, counts
            df.update(counts.keys())
        self._docs, self._tf, self._df = docs, tf, df
        self._avg = (sum(sum(c.values()) for c in tf.values()) / len(tf)) if tf else 1.0
        log.info(
            "research.corpus_indexed",
            corpus=self.name,
            documents=len(docs),
            ms=round((time.monotonic() - started) * 1000),
        )

    def _ensure(self) -> dict[str, Document]:
        with self._lock:
            if self._docs is None:
                self.build()
            assert self._docs is not None
            return self._docs

    async def _ready(self) -> dict[str, Document]:
        if self._docs is not None:
            return self._docs
        return await asyncio.to_thread(self._ensure)

    # -- search ----------------------------------------------------------------------------

    def url_for(self, rel: str) -> str:
        return f"{SCHEME}{self.name}/{quote(rel)}"

    def score(self, query: str) -> list[tuple[float, str]]:
        n = len(self._tf)
        ranked = []
        for rel, counts in self._tf.items():
            length = sum(counts.values()) or 1
            s = 0.0
            for term in set(tokens(query)):
                f = counts.get(term, 0)
                if not f:
                    continue
                idf = math.log(1 + (n - self._df[term] + 0.5) / (self._df[term] + 0.5))
                s += idf * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * length / self._avg))
            if s > 0:
                ranked.append((s, rel))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        return ranked

    async def search(self, query: str, *, max_results: int) -> list[SearchResult]:
        docs = await self._ready()
        hits = self.score(query)[:max_results]
        return [
            SearchResult(self.url_for(rel), docs[rel].title, _snippet(docs[rel].text, query))
            for _, rel in hits
        ]

    # -- read ------------------------------------------------------------------------------

    def owns(self, url: str) -> bool:
        return url.strip().lower().startswith(f"{SCHEME}{self.name}/")

    async def read(self, url: str, *, max_chars: int = 32_000) -> Page:
        """The document behind a ``corpus://`` URL this corpus gave out, else :class:`FetchRefused`."""
        docs = await self._ready()
        if not self.owns(url):
            raise FetchRefused("unknown corpus")
        rel = unquote(url.strip()[len(SCHEME) + len(self.name) + 1 :].split("#")[0].split("?")[0])
        doc = docs.get(rel)
        if doc is None:
            raise FetchRefused("no such document in the corpus")
        text, cut = truncate(doc.text, max_chars)
        return Page(
            url=self.url_for(rel),
            title=doc.title,
            text=text,
            content_type=doc.content_type,
            bytes_read=len(doc.text.encode()),
            truncated=cut,
        )


def _snippet(text: str, query: str, width: int = 240) -> str:
    """The ``width`` characters of ``text`` around the passage with the most query terms."""
    flat = " ".join(text.split())
    terms = set(tokens(query))
    words = [(m.start(), _stem(m.group().lower())) for m in _WORD.finditer(flat)]
    best, start = 0, 0
    for i, (pos, word) in enumerate(words):
        if word not in terms:
            continue
        found = {w for p, w in words[i : i + 40] if w in terms and p < pos + width * 3 // 4}
        if len(found) > best:
            best, start = len(found), max(0, pos - width // 4)
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")
