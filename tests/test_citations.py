"""Citations: an answer's URL is annotated only when a panelist retrieved that very URL, and the
annotation points at the URL as the answer wrote it (what a client highlights and links)."""

from __future__ import annotations

import pytest

from fusion_tool.modes.citations import annotate
from fusion_tool.pipeline.research import Source

REAL = Source("https://example.org/studies/boiling", "Boiling points")


def spans(text: str, annotations: list[dict]) -> list[str]:
    return [text[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]] for a in annotations]


def test_an_annotation_carries_the_source_and_where_the_url_stands():
    text = "Water boils at 100 C (https://example.org/studies/boiling) at sea level."
    annotations, unverified = annotate(text, [REAL])
    assert annotations == [{"type": "url_citation", "url_citation": {
        "url": REAL.url, "title": "Boiling points", "start_index": 22, "end_index": 22 + len(REAL.url)}}]
    assert unverified == []


@pytest.mark.parametrize("mark", list(".,;:!?)»”’'\""))
def test_trailing_punctuation_is_not_part_of_the_url(mark):
    text = f"See {REAL.url}{mark} and more."
    annotations, unverified = annotate(text, [REAL])
    assert spans(text, annotations) == [REAL.url] and unverified == []


def test_several_trailing_marks_go_and_balanced_parentheses_stay():
    wiki = Source("https://en.wikipedia.org/wiki/Boiling_(physics)", "Boiling")
    text = f"Read {wiki.url}. Or ({REAL.url})!?"
    annotations, _ = annotate(text, [wiki, REAL])
    assert spans(text, annotations) == [wiki.url, REAL.url]


@pytest.mark.parametrize("written", [
    "HTTPS://EXAMPLE.ORG/studies/boiling",     # scheme and host are not case-sensitive
    "https://example.org./studies/boiling",    # a fully qualified host
    "https://example.org/studies/boiling/",    # a trailing slash
    "https://example.org/studies/boiling#method",  # a fragment is a place in the same page
])
def test_the_same_page_written_differently_is_still_the_source(written):
    annotations, unverified = annotate(f"As shown in {written} today", [REAL])
    assert [a["url_citation"]["url"] for a in annotations] == [REAL.url] and unverified == []
    assert spans(f"As shown in {written} today", annotations) == [written]


@pytest.mark.parametrize("written", [
    "https://example.org/studies/Boiling",       # a path is case-sensitive
    "https://example.org/studies/boiling?page=2",  # another query is another page
    "http://example.org/studies/boiling",        # another scheme
    "https://example.org/studies/boilin",
    "https://example.org/studies",
    "https://other.example.org/studies/boiling",
])
def test_another_url_is_unverified_not_a_source(written):
    annotations, unverified = annotate(f"As shown in {written} today", [REAL])
    assert annotations == [] and unverified == [written]


def test_each_unverified_url_is_listed_once_in_the_order_written():
    text = "https://b.example/x then https://a.example/y then https://b.example/x again"
    assert annotate(text, [])[1] == ["https://b.example/x", "https://a.example/y"]


def test_every_citation_of_a_source_is_annotated():
    text = f"{REAL.url} first, {REAL.url} second"
    annotations, _ = annotate(text, [REAL])
    assert [a["url_citation"]["start_index"] for a in annotations] == [0, len(REAL.url) + 8]


def test_the_first_source_of_a_page_gives_its_title_and_a_missing_title_is_the_url():
    duplicate = Source("https://example.org/studies/boiling/", "A later title")
    untitled = Source("corpus://baking/starter", "")
    text = f"{REAL.url} and corpus://baking/starter"
    annotations, _ = annotate(text, [REAL, duplicate, untitled])
    assert [a["url_citation"]["title"] for a in annotations] == ["Boiling points", "corpus://baking/starter"]


@pytest.mark.parametrize("text", ["", None, "no links here", "ftp://example.org/file and mailto:a@b.c"])
def test_text_without_web_urls_has_no_citations(text):
    assert annotate(text, [REAL]) == ([], [])


def test_a_url_ends_where_quotes_and_brackets_begin():
    text = f'<a href="{REAL.url}">x</a> [{REAL.url}] `{REAL.url}` {{{REAL.url}}}'
    annotations, unverified = annotate(text, [REAL])
    assert spans(text, annotations) == [REAL.url] * 4 and unverified == []


def test_a_trailing_slash_is_the_only_thing_dropped_from_a_path():
    letter = Source("https://example.org/doc/X", "X")
    text = "See https://example.org/doc/ and https://example.org/doc"
    annotations, unverified = annotate(text, [letter])
    assert annotations == [] and unverified == ["https://example.org/doc/", "https://example.org/doc"]
