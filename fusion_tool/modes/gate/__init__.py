"""The deliberation gate: should fusion (a costly multi-model panel) be offered on this turn?

It recognises the shape of the request in the latest user turn, in any of the languages its
cue lists cover, rather than looking for stock keywords. In this order:

1. ``force=True`` always deliberates (reason ``"forced"``).
2. A transcript that ends with ``tool`` (or legacy ``function``) messages is the caller returning
   its own tool results, not a new question: no.
3. Only the latest user turn decides; system prompts, history and tool turns never count.
4. The floor: fewer than ``min_words`` of the user's own words is always no. Pasted material
   does not count (``paste.own_text``); Chinese, Japanese and Korean count by characters, two to
   a word (``words.count_words``).
5. Above it, the shape (``features.shape``): which asks the own words make (transform supplied
   material, look up, write specified code, do a chore; a creative piece, a settled explanation,
   a recipe, role-play, chat; decide, diagnose, reason through a hypothetical or a forecast,
   weigh evidence, stress-test, analyse for a decision-maker, cross domains, give a judgement),
   how much situation they give (stakes, constraints, options, numbers, the user's own life),
   how open they are (questions, length). A logistic regression fitted on the train split of
   ``tests/data/gate`` (``model.py``) turns them into tactical / plain / deliberate; the score is
   the probability of deliberate, and ``score >= threshold`` deliberates.
6. The tactical veto, before the model: a sentence asking to transform named material ("translate
   this memo", "把这段翻译成英文"), or a mostly pasted turn whose tactical cues outnumber its
   judgement cues, is no (score 0.0), however deliberative the material or the preamble sounds.

No model call, no I/O, deterministic, well under a millisecond on a long turn. Reasons name the
shape: ``("tactical: translate supplied text", ...)``,
``("deliberate: decision under constraints, 3 options, stakes: money", ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fusion_tool.core.transcript import text_of
from fusion_tool.modes.gate import reasons
from fusion_tool.modes.gate.features import LENGTH_SPAN, Shape, shape, transforms_supplied_material
from fusion_tool.modes.gate.model import classify
from fusion_tool.modes.gate.paste import own_text, pasted_share
from fusion_tool.modes.gate.words import CJK_WORDS_PER_CHAR, count_at_least, count_words

__all__ = ["CJK_WORDS_PER_CHAR", "DEFAULT_MIN_WORDS", "DEFAULT_THRESHOLD", "Decision", "GateConfig", "count_words",
           "latest_turn", "own_text", "shape_of", "should_deliberate"]

DEFAULT_MIN_WORDS = 12  # one plain sentence is below it; a question plus context is above
DEFAULT_THRESHOLD = 0.5
TOOL_ROLES = ("tool", "function")  # a transcript ending in these is the caller's own tool results


@dataclass(frozen=True)
class Decision:
    deliberate: bool
    score: float  # 0..1, the probability that the turn needs deliberation; 0.0 under the floor
    reasons: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"deliberate": self.deliberate, "score": self.score, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class GateConfig:
    min_words: int = DEFAULT_MIN_WORDS  # the hard floor on the user's own words
    threshold: float = DEFAULT_THRESHOLD


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _ends_in_tool_results(messages: list[dict] | str) -> bool:
    return not isinstance(messages, str) and bool(messages) and _field(messages[-1], "role") in TOOL_ROLES


def latest_turn(messages: list[dict] | str) -> str | None:
    """The text of the latest user turn; None when there is none or the transcript ends in tool results."""
    if isinstance(messages, str):
        return messages
    if _ends_in_tool_results(messages):
        return None
    users = [m for m in messages if _field(m, "role") == "user"]
    return text_of(_field(users[-1], "content")) if users else None


def shape_of(text: str, min_words: int = DEFAULT_MIN_WORDS) -> tuple[str, Shape]:
    """The user's own word count in ``text`` ("2046", or "96+": a long turn is counted only as far as
    the features need) and the shape of their request."""
    own = own_text(text)
    n_words, exact = count_at_least(own, LENGTH_SPAN * min_words)
    return f"{n_words}" if exact else f"{n_words}+", shape(own, n_words, pasted_share(text, own), min_words)


def should_deliberate(messages: list[dict] | str, *, config: GateConfig | None = None,
                      force: bool = False) -> Decision:
    """Decide whether fusion should be offered on the last user turn of ``messages``."""
    config = config or GateConfig()
    text = latest_turn(messages)
    if text is None:
        if force:
            return Decision(True, 0.0, ("forced",))
        return Decision(False, 0.0, ("turn is tool results only",) if _ends_in_tool_results(messages)
                        else ("no user turn",))
    counted, seen = shape_of(text, config.min_words)
    n_words = int(counted.removesuffix("+"))
    if n_words < config.min_words and not force:
        return Decision(False, 0.0, (f"short: {n_words} words < {config.min_words}",))
    if not force and transforms_supplied_material(seen):
        return Decision(False, 0.0, (reasons.tactical(seen), f"own words: {counted}", reasons.cues(seen),
                                     "veto: a transformation of supplied material"))
    verdict = classify(seen)
    passed = verdict.score >= config.threshold
    why = (reasons.name(seen, verdict, passed), f"own words: {counted}", reasons.cues(seen),
           f"score {verdict.score} {'>=' if passed else '<'} {config.threshold}")
    return Decision(force or passed, verdict.score, ("forced", *why) if force else why)
