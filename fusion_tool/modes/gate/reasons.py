"""Naming the shape the gate saw, for a log: "tactical: translate supplied text", "plain: creative
piece", "deliberate: decision under constraints, 4 options, stakes: money, people"."""

from __future__ import annotations

from fusion_tool.modes.gate.features import (
    JUDGEMENT_FAMILIES,
    PLAIN_FAMILIES,
    STAKE_DOMAINS,
    TACTICAL_FAMILIES,
    TRANSFORM_KINDS,
    Shape,
)
from fusion_tool.modes.gate.model import Verdict

TACTICAL_KINDS = {"lookup": "lookup", "code_task": "specified code", "chore": "coding chore",
                  "transform": "transform supplied material", "material": "transform supplied material",
                  "limits": "transform supplied material"}
TRANSFORM_NAMES = {"translate": "translate supplied text", "summarise": "summarise supplied text",
                   "proofread": "proofread supplied text", "extract": "extract from supplied text",
                   "format": "convert or format supplied material", "fix": "fix supplied code",
                   "rewrite": "rewrite supplied text"}
PLAIN_KINDS = {"creative": "creative piece", "explain": "settled explanation", "recipe": "recipe",
               "roleplay": "role-play", "chat": "casual chat"}
DELIBERATE_KINDS = {
    "decide": "decision", "diagnose": "diagnosis", "hypothetical": "hypothetical",
    "hypothetical_pair": "hypothetical", "forecast": "forecast", "evidence": "evidence or a contested claim",
    "critique": "stress-test", "deliverable": "analysis for a decision", "multi_domain": "multi-domain question",
    "choice_question": "decision", "weigh": "judgement asked", "opinion": "judgement asked",
}


def _strongest(shape: Shape, families: tuple[str, ...]) -> str | None:
    """The family with the most distinct cues (the first listed on a tie), if any matched."""
    scored = [(shape.values[f], -i, f) for i, f in enumerate(families) if shape.values.get(f)]
    return max(scored)[2] if scored else None


def name(shape: Shape, verdict: Verdict, deliberate: bool) -> str:
    """The shape, as the first reason of a decision the model made."""
    if deliberate or verdict.shape == "deliberate":
        family = _strongest(shape, JUDGEMENT_FAMILIES)
        kind = DELIBERATE_KINDS[family] if family else "situation with stakes"
        if kind == "decision" and (shape.values["constraint"] or shape.numbers >= 2):
            kind = "decision under constraints"
        details = [kind]
        if shape.options >= 2:
            details.append(f"{shape.options} options")
        domains = [d for d in STAKE_DOMAINS if f"stakes:{d}" in shape.hits]
        if domains:
            details.append("stakes: " + ", ".join(domains))
        return ("deliberate" if deliberate else "below threshold") + ": " + ", ".join(details)
    if verdict.shape == "tactical":
        return tactical(shape)
    family = _strongest(shape, PLAIN_FAMILIES)
    return "plain: " + (PLAIN_KINDS[family] if family else "no judgement asked")


def tactical(shape: Shape) -> str:
    """The tactic asked, as the first reason of a tactical verdict or of the veto."""
    family = _strongest(shape, ("lookup", "code_task", "chore", "transform"))
    if family == "transform" or family is None:
        kinds = [k for k in TRANSFORM_KINDS if f"transform:{k}" in shape.hits]
        return "tactical: " + (TRANSFORM_NAMES[kinds[0]] if kinds else "transform supplied material")
    return "tactical: " + TACTICAL_KINDS[family]


def cues(shape: Shape, limit: int = 5) -> str:
    """The cue families that matched, with a cue each: "cues: decide (should we), stakes (money), numbers (5)"."""
    parts = []
    for family in TACTICAL_FAMILIES + PLAIN_FAMILIES + JUDGEMENT_FAMILIES:
        if family in shape.hits:
            parts.append(f"{family} ({sorted(shape.hits[family])[0]})")
        elif shape.values.get(family) and family in ("hypothetical_pair", "choice_question"):
            parts.append(family)
    domains = [d for d in STAKE_DOMAINS if f"stakes:{d}" in shape.hits]
    if domains:
        parts.append(f"stakes ({', '.join(domains)})")
    if shape.numbers:
        parts.append(f"numbers ({shape.numbers})")
    return "cues: " + (", ".join(parts[:limit]) + (", ..." if len(parts) > limit else "") if parts else "none")
