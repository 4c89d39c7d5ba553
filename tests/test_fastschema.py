"""core.fastschema on the judge's analysis: the fast check says valid exactly when jsonschema does
(the judge trusts it to skip jsonschema; jsonschema still explains a failure)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusion_tool.core import fastschema, schemas
from fusion_tool.pipeline.judge import parse

from .conftest import ANALYSIS

SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
ANY = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=6), inner,
                                                                                        max_size=2), max_leaves=4)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


@st.composite
def near_valid_analyses(draw):
    """The conftest's valid analysis with one to three changes: a value replaced, a key dropped or added."""
    value = copy.deepcopy(ANALYSIS)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(ANY)
        elif action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["topic", "model", "extra", "stance", "point"]))] = draw(ANY)
    return value


@settings(max_examples=500, deadline=None)
@given(candidate=near_valid_analyses() | ANY)
def test_the_fast_check_agrees_with_jsonschema_on_analyses(candidate):
    fast = fastschema.compile_schema(schemas.load("analysis"))
    assert fast(candidate) == schemas.validator("analysis").is_valid(candidate)


def test_an_extra_key_is_refused_where_the_schema_says_so():
    fast = fastschema.compile_schema(schemas.load("analysis"))
    assert fast(ANALYSIS)
    assert not fast({**ANALYSIS, "verdict": "A wins"})
    stray = copy.deepcopy(ANALYSIS)
    stray["unique_insights"][0]["score"] = 3
    assert not fast(stray)
    value, problem = parse(__import__("json").dumps(stray))
    assert value is None and "unique_insights/0" in problem and "score" in problem


def test_additional_properties_other_than_a_boolean_are_outside_the_subset():
    with pytest.raises(ValueError, match="additionalProperties"):
        fastschema.compile_schema({"type": "object", "additionalProperties": {"type": "string"}})
