"""DRACO's arithmetic. A task's score is

    clamp(Σ weights of the MET criteria / Σ positive weights, 0, 1) × 100

where a negative weight marks an error, so an error that is present (MET) subtracts. With
repeated gradings each repeat is scored on its own and the scores are averaged.
"""

from __future__ import annotations

from collections.abc import Sequence


def max_points(weights: Sequence[float]) -> float:
    """The points of a perfect answer: every positive weight, no error."""
    return sum(w for w in weights if w > 0)


def raw_points(weights: Sequence[float], met: Sequence[bool]) -> float:
    """Σ weights of the MET criteria (a MET negative weight subtracts)."""
    if len(weights) != len(met):
        raise ValueError(f"{len(weights)} weights but {len(met)} verdicts")
    return sum(w for w, m in zip(weights, met) if m)


def task_score(weights: Sequence[float], met: Sequence[bool]) -> float:
    """The task's score from 0 to 100 for one grading."""
    top = max_points(weights)
    if top <= 0:
        raise ValueError("a rubric needs at least one positive weight")
    return min(1.0, max(0.0, raw_points(weights, met) / top)) * 100


def repeated_score(weights: Sequence[float], gradings: Sequence[Sequence[bool]]) -> float:
    """The mean of :func:`task_score` over repeated gradings of one answer."""
    if not gradings:
        raise ValueError("no grading to score")
    return sum(task_score(weights, met) for met in gradings) / len(gradings)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
