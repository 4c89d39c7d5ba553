"""Usage records: what each inner call reported, and the sums a fused call's usage shows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types import CompletionUsage

from fusion_tool.core.usage import Call, Usage, total_cost


def test_total_cost_is_the_sum_or_unknown():
    assert total_cost([]) == 0.0
    assert total_cost([0.1, 0.2]) == 0.3  # rounded: no 0.30000000000000004 on a bill
    assert total_cost([1e-6, 2e-6, 3e-6]) == 6e-6
    assert total_cost([0.1, None, 0.2]) is None
    assert total_cost([None]) is None


def test_a_call_reads_the_sdks_usage():
    usage = CompletionUsage(prompt_tokens=12, completion_tokens=30, total_tokens=42)
    assert Call.from_usage("panel", "m", usage, 1.5) == Call("panel", "m", 12, 30, 42, None, 1.5)


def test_a_call_without_usage_is_zero_and_of_unknown_cost():
    assert Call.from_usage("writer", "m", None, 2.0) == Call("writer", "m", 0, 0, 0, None, 2.0)


def test_a_missing_total_is_computed_and_a_reported_one_is_kept():
    missing = CompletionUsage.model_validate({"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 0})
    assert Call.from_usage("judge", "m", missing).total_tokens == 12
    reported = CompletionUsage(prompt_tokens=7, completion_tokens=5, total_tokens=20)  # reasoning, say
    assert Call.from_usage("judge", "m", reported).total_tokens == 20


def test_the_cost_comes_from_openrouters_extra_field():
    usage = CompletionUsage.model_validate({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3,
                                            "cost": "0.00025"})
    call = Call.from_usage("panel", "m", usage)
    assert call.cost == 0.00025 and isinstance(call.cost, float)
    free = CompletionUsage.model_validate({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cost": 0})
    assert Call.from_usage("panel", "m", free).cost == 0.0  # reported as free: free, not unknown


class _Reported:
    """A usage object some SDKs hand back: attributes, None where the provider sent nothing."""

    prompt_tokens = None
    completion_tokens = 4
    total_tokens = None
    cost = 0.5


def test_absent_fields_read_as_zero():
    assert Call.from_usage("panel", "m", _Reported()) == Call("panel", "m", 0, 4, 4, 0.5, 0.0)


CALLS = [Call("panel", "a", 10, 20, 30, 0.001, 1.0), Call("panel", "b", 11, 21, 32, 0.002, 2.0),
         Call("judge", "j", 100, 50, 150, 0.01, 3.0), Call("writer", "j", 200, 70, 270, 0.02, 4.0)]


def test_the_sums_are_over_every_call():
    usage = Usage(list(CALLS))
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (321, 161, 482)
    assert usage.cost == pytest.approx(0.033)


def test_one_unknown_cost_makes_the_whole_unknown_but_tokens_still_add_up():
    usage = Usage([*CALLS, Call("writer", "w", 1, 1, 2, None)])
    assert usage.cost is None and usage.total_tokens == 484


def test_add_and_extend_keep_every_call_in_order():
    usage = Usage()
    usage.add(CALLS[0])
    other = Usage(CALLS[1:3])
    usage.extend(other)
    usage.add(CALLS[3])
    assert usage.calls == CALLS and other.calls == CALLS[1:3]


def test_an_empty_usage_is_zero_and_free():
    usage = Usage()
    assert usage.to_dict() == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": 0.0, "calls": []}


def test_the_record_lists_each_call_with_its_figures():
    record = Usage(CALLS[:2]).to_dict()
    assert record == {
        "prompt_tokens": 21, "completion_tokens": 41, "total_tokens": 62, "cost": 0.003,
        "calls": [{"stage": "panel", "model": "a", "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30,
                   "cost": 0.001, "seconds": 1.0},
                  {"stage": "panel", "model": "b", "prompt_tokens": 11, "completion_tokens": 21, "total_tokens": 32,
                   "cost": 0.002, "seconds": 2.0}]}


def test_the_sdk_usage_carries_the_sums_and_a_cost_that_may_be_unknown():
    known = Usage(list(CALLS)).to_openai()
    assert isinstance(known, CompletionUsage)
    assert (known.prompt_tokens, known.completion_tokens, known.total_tokens) == (321, 161, 482)
    assert known.cost == pytest.approx(0.033)  # type: ignore[attr-defined]
    unknown = Usage([Call("panel", "a", 1, 2, 3, None)]).to_openai()
    assert unknown.cost is None and unknown.model_dump()["cost"] is None  # type: ignore[attr-defined]


class _Bare:
    """A usage object with no token fields at all, and its extras only in ``model_extra``."""

    @property
    def model_extra(self) -> dict:
        return {"cost": "0.25"}


class _WithExtras:
    """A cost of its own, and extras that carry none."""

    prompt_tokens, completion_tokens, total_tokens, cost = 3, 0, 3, 0.5
    @property
    def model_extra(self) -> dict:
        return {"is_byok": False}


def test_missing_fields_read_as_zero_and_extras_give_the_cost():
    assert Call.from_usage("panel", "m", _Bare()) == Call("panel", "m", 0, 0, 0, 0.25, 0.0)
    assert Call.from_usage("panel", "m", _WithExtras()) == Call("panel", "m", 3, 0, 3, 0.5, 0.0)


class _Plain:
    """Token counts only: no cost, no extras."""

    prompt_tokens, completion_tokens, total_tokens = 2, 3, 5


def test_a_usage_without_cost_or_extras_is_of_unknown_cost():
    assert Call.from_usage("panel", "m", _Plain()) == Call("panel", "m", 2, 3, 5, None, 0.0)


@given(st.builds(Call, stage=st.sampled_from(["panel", "judge", "writer", "caller"]), model=st.text(max_size=10),
                 prompt_tokens=st.integers(0, 10**6), completion_tokens=st.integers(0, 10**6),
                 total_tokens=st.integers(0, 10**6), cost=st.none() | st.floats(0, 10, allow_nan=False),
                 seconds=st.floats(0, 100, allow_nan=False)))
def test_a_calls_record_holds_every_field_of_the_call(call):
    import dataclasses

    assert call.to_dict() == dataclasses.asdict(call)  # a field added to Call is a field in every record
