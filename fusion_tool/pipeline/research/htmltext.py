"""HTML to readable text: ``trafilatura`` first, a plain tag strip when it finds nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fusion_tool.core.log import get_logger

log = get_logger("fusion_tool.pipeline.research")

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "blockquote",
        "hr",
        "dd",
        "dt",
    }
)


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip:
            self.parts.append(data)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_tags(html: str) -> tuple[str, str]:
    """``(title, text)`` by dropping tags, scripts and styles (the crude fallback)."""
    parser = _Stripper()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; be safe anyway
        pass
    return " ".join("".join(parser.title_parts).split()), _tidy("".join(parser.parts))


def html_to_text(html: str) -> tuple[str, str]:
    """``(title, text)`` of an HTML document, main content only when trafilatura finds it."""
    title, crude = strip_tags(html)
    try:
        import trafilatura  # lazy: slow import, only needed once a page is fetched

        text = trafilatura.extract(
            html,
            output_format="markdown",
            include_comments=False,
            include_images=False,
            include_links=False,
            include_tables=True,
            favor_recall=True,
            deduplicate=False,
        )
    except Exception as exc:  # ImportError or an extraction failure: keep the crude text
        log.info("research.extract_fallback", error=type(exc).__name__)
        text = None
    return title, (text.strip() if text and text.strip() else crude)
