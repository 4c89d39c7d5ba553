"""The fence's exact shape: what a model reads around untrusted text, byte for byte (the prompts
tell it what BEGIN and END lines with the marker mean, so the shape is a contract)."""

from __future__ import annotations

import itertools
import re

from fusion_tool.pipeline.fence import FENCE_NOTE, fence, fence_all, new_marker, unfence


def tokens(*values: str):
    it = iter(values)
    return lambda: next(it)


def test_one_fenced_text_with_its_attributes():
    block = fence("hello\nworld", kind="PAGE", token=tokens("m1"), url='https://a.example/b  c"d')
    assert block.marker == "m1"
    assert block.text == '<<<BEGIN PAGE m1 url="https://a.example/b c%22d">>>\nhello\nworld\n<<<END PAGE m1>>>'
    assert block.note == FENCE_NOTE.format(marker="m1") and "m1" in block.note


def test_without_attributes_and_with_the_default_kind():
    assert fence("t", token=tokens("m")).text == "<<<BEGIN DATA m>>>\nt\n<<<END DATA m>>>"
    assert fence("t", kind="", token=tokens("m")).text == "<<<BEGIN m>>>\nt\n<<<END  m>>>"


def test_several_texts_share_one_marker_and_are_set_apart_by_a_blank_line():
    block = fence_all([({"label": "Response 1", "url": "x"}, "a"), ({"label": "Response 2"}, "b")],
                      kind="RESPONSE", token=tokens("mk"))
    assert block.text == ('<<<BEGIN RESPONSE mk label="Response 1" url="x">>>\na\n<<<END RESPONSE mk>>>\n\n'
                          '<<<BEGIN RESPONSE mk label="Response 2">>>\nb\n<<<END RESPONSE mk>>>')
    assert unfence(block, kind="RESPONSE") == ["a", "b"]


def test_a_marker_found_in_an_attribute_is_not_used():
    block = fence_all([({"url": "https://abc.example"}, "text")], token=tokens("abc", "fresh"))
    assert block.marker == "fresh"


def test_the_default_marker_is_64_random_bits_in_hex():
    markers = {new_marker(["x"]) for _ in range(20)}
    assert len(markers) == 20 and all(re.fullmatch(r"[0-9a-f]{16}", m) for m in markers)


def test_unfence_reads_back_every_text_in_order():
    texts = ["", "one", "two\nlines", ">>>\n<<<END DATA", "x" * 300]
    block = fence_all([({"n": str(i)}, t) for i, t in enumerate(texts)], token=tokens(*itertools.repeat("zz9", 1)))
    assert unfence(block) == texts
