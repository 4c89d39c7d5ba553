"""Which shape a request has: tactical, plain or deliberate, from its features.

A multinomial logistic regression (``weights.py``, fitted on the train split of the gate's
development set by ``python benchmarks/gate.py --fit``): each class's logit is its bias plus the
weighted features; the gate's score is the probability of "deliberate". Each feature's
contribution is what it adds to the winning class's logit over the runner-up's, which is what
the reasons name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fusion_tool.modes.gate import weights
from fusion_tool.modes.gate.features import Shape

CLASSES = weights.CLASSES


@dataclass(frozen=True)
class Verdict:
    shape: str  # the most likely class
    score: float  # probability of "deliberate", rounded to 3 places
    contributions: dict[str, float]  # feature -> its push towards ``shape`` over the runner-up


def classify(shape: Shape) -> Verdict:
    logits = list(weights.BIAS)
    values = {name: shape.values[name] for name in weights.WEIGHTS}
    for name, value in values.items():
        if value:
            row = weights.WEIGHTS[name]
            for k in range(len(CLASSES)):
                logits[k] += row[k] * value
    exps = [math.exp(z) for z in logits]  # features lie in [0, 1]: no logit is large enough to overflow
    score = round(exps[CLASSES.index("deliberate")] / sum(exps), 3)
    order = sorted(range(len(CLASSES)), key=lambda k: -logits[k])
    best, rival = order[0], order[1]
    contributions = {name: value * (weights.WEIGHTS[name][best] - weights.WEIGHTS[name][rival])
                     for name, value in values.items() if value}
    return Verdict(CLASSES[best], score, contributions)
