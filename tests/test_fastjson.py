"""core.fastjson: the hot path's JSON reads and writes what ``json`` does, whichever library is under it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusion_tool.core import fastjson

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@pytest.fixture(params=["orjson", "json"])
def backend(request, monkeypatch):
    if request.param == "json":
        monkeypatch.setattr(fastjson, "orjson", None)
    elif fastjson.orjson is None:
        pytest.skip("orjson is not installed")
    return request.param


@given(value=JSON)
def test_what_is_written_reads_back_as_json_reads_it(value):
    for use_orjson in (True, False):
        saved = fastjson.orjson
        try:
            if not use_orjson:
                fastjson.orjson = None
            written = fastjson.dumps(value)
            assert isinstance(written, bytes)
            assert json.loads(written) == value
            assert fastjson.loads(written) == value
        finally:
            fastjson.orjson = saved


def test_non_ascii_is_kept_and_what_orjson_cannot_write_is_written_anyway(backend):
    assert fastjson.dumps({"q": "¿qué tal? 東京"}) == '{"q":"¿qué tal? 東京"}'.encode()
    assert json.loads(fastjson.dumps({"big": 2**70})) == {"big": 2**70}  # past orjson's 64 bits
    assert json.loads(fastjson.dumps({1: "a"})) == {"1": "a"}  # a non-string key, as json writes it


def test_what_is_not_json_is_a_value_error(backend):
    for text in (b"", b"{", b"nope", "{'a': 1}"):
        with pytest.raises(ValueError):
            fastjson.loads(text)
