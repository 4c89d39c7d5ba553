"""DRACO's score arithmetic, negative weights included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusion_tool.eval.score import max_points, raw_points, repeated_score, task_score

weight = st.integers(min_value=-10, max_value=10).filter(lambda w: w != 0).map(float)


@st.composite
def rubric(draw):
    """Weights with at least one positive, and a verdict for each."""
    weights = draw(st.lists(weight, min_size=1, max_size=12))
    weights.append(draw(st.integers(min_value=1, max_value=10).map(float)))
    met = draw(st.lists(st.booleans(), min_size=len(weights), max_size=len(weights)))
    return weights, met


def test_the_worked_example():
    # 3 + 2 - 2 + 1: the Moon's gravity (met), the far bulge (unmet), the wind error (met), spring tides (unmet)
    weights, met = [3.0, 2.0, -2.0, 1.0], [True, False, True, False]
    assert max_points(weights) == 6
    assert raw_points(weights, met) == 1
    assert task_score(weights, met) == pytest.approx(100 / 6)


def test_a_met_error_subtracts_and_the_score_is_clamped_at_zero():
    assert task_score([4.0, 3.0, -5.0, 1.0], [True, False, True, False]) == 0.0  # 4 - 5 < 0
    assert task_score([2.0, 2.0, -3.0], [True, True, True]) == pytest.approx(25.0)  # (4 - 3) / 4


def test_an_unmet_error_costs_nothing_and_a_perfect_answer_scores_100():
    assert task_score([5.0, 3.0, 2.0, -4.0], [True, True, True, False]) == 100.0


def test_repeats_average_the_scores_of_each_grading():
    weights = [2.0, 2.0, -3.0]
    # 100 and 25: the mean of the two scores, not the score of averaged verdicts
    assert repeated_score(weights, [[True, True, False], [True, True, True]]) == pytest.approx(62.5)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        task_score([1.0, 2.0], [True])
    with pytest.raises(ValueError):
        task_score([-1.0], [True])
    with pytest.raises(ValueError):
        repeated_score([1.0], [])


@given(rubric())
def test_the_score_is_between_0_and_100(case):
    weights, met = case
    assert 0.0 <= task_score(weights, met) <= 100.0


@given(rubric())
def test_every_positive_met_and_no_error_is_100_nothing_met_is_0(case):
    weights, _ = case
    assert task_score(weights, [w > 0 for w in weights]) == 100.0
    assert task_score(weights, [False] * len(weights)) == 0.0


@given(rubric(), st.data())
def test_meeting_a_requirement_never_lowers_the_score_and_an_error_never_raises_it(case, data):
    weights, met = case
    i = data.draw(st.integers(min_value=0, max_value=len(weights) - 1))
    before = task_score(weights, [m if j != i else False for j, m in enumerate(met)])
    after = task_score(weights, [m if j != i else True for j, m in enumerate(met)])
    if weights[i] > 0:
        assert after >= before
    else:
        assert after <= before


@given(rubric())
def test_the_score_is_the_clamped_ratio(case):
    weights, met = case
    raw = sum(w for w, m in zip(weights, met) if m)
    top = sum(w for w in weights if w > 0)
    assert task_score(weights, met) == pytest.approx(min(1.0, max(0.0, raw / top)) * 100)


@given(rubric(), st.integers(min_value=1, max_value=4))
def test_identical_repeats_score_like_one_grading(case, n):
    weights, met = case
    assert repeated_score(weights, [met] * n) == pytest.approx(task_score(weights, met))
