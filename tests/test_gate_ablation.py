"""Each rule and feature family of the gate earns its place: switched off, decisions go wrong on the
rows it exists for (the dev set's train and validation splits), or, where the dev set has other cues
to fall back on, on a request made for it. A family that nothing protects could be removed unseen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import fusion_tool.modes.gate as gate
from fusion_tool.modes.gate import GateConfig, features, paste, weights, words
from fusion_tool.modes.gate.lexicon import Lexicon

DATA = Path(__file__).parent / "data" / "gate"
ROWS = [json.loads(line) for name in ("prompts.jsonl", "conversations.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
DEV = [r for r in ROWS if r["split"] in ("train", "validation")]  # never the test split
SITUATION_CUES = ("constraint", "options", "self", "counts", *(f"stakes:{d}" for d in features.STAKE_DOMAINS))


def _turn(row):
    return row["messages"] if "messages" in row else row["prompt"]


def _decide(rows, config=None):
    return [gate.should_deliberate(_turn(r), config=config).deliberate for r in rows]


BASELINE = _decide(DEV)


def _broken(category=None, kind=None, config=None):
    """Rows decided right before and wrong now, of ``category`` (and ``kind``, a regex) if given."""
    out = []
    for row, before, now in zip(DEV, BASELINE, _decide(DEV, config)):
        if before == row["deliberate"] and now != row["deliberate"]:
            if (category is None or row["category"] == category) and (kind is None or re.search(kind, row["kind"])):
                out.append(row["id"])
    return out


def _without(monkeypatch, *families):
    lexicon = Lexicon({name: cues for name, cues in features.FAMILIES.items()
                       if name not in families and name.split(":")[0] not in families})
    monkeypatch.setattr(features, "LEXICON", lexicon)


def test_the_baseline_is_right_on_nearly_every_dev_row():
    wrong = [r["id"] for r, d in zip(DEV, BASELINE) if d != r["deliberate"]]
    assert len(wrong) <= 3, wrong


# ---------------------------------------------------------------------------- cue families

@pytest.mark.parametrize("family, category, kind, at_least", [
    ("transform", "tactical", "supplied|convert|pasted", 2),
    ("lookup", "tactical", "lookup", 2),
    ("chore", "tactical", "chore", 1),
    ("code_task", "tactical", None, 1),
    ("limits", "tactical", "supplied", 1),
    ("creative", "plain", "story|speech|poem|ideas", 3),
    ("explain", "plain", "explanation", 6),
    ("roleplay", "plain", "role-play", 1),
    ("chat", "plain", "chat", 3),
    ("decide", "deliberate", "decision", 15),
    ("diagnose", "deliberate", "diagnosis", 12),
    ("hypothetical", "deliberate", "hypothetical", 2),
    ("forecast", "deliberate", "forecast", 2),
    ("evidence", "deliberate", "evidence|contested|research", 12),
    ("critique", "deliberate", "stress-test|critique", 8),
    ("deliverable", "deliberate", "analysis|memo|brief", 3),
    ("multi_domain", "deliberate", "multi-domain", 4),
    ("opinion", "deliberate", None, 5),
    ("weigh", "deliberate", None, 1),
])
def test_each_cue_family_decides_rows_of_its_kind(monkeypatch, family, category, kind, at_least):
    _without(monkeypatch, family)
    broken = _broken(category, kind)
    assert len(broken) >= at_least, broken


def test_the_situation_cues_decide_hard_rows_together(monkeypatch):
    _without(monkeypatch, *SITUATION_CUES)  # stakes, constraints, options, the user's own life, quantities
    assert len(_broken("deliberate")) >= 2


def test_material_lets_the_veto_see_a_transformation_of_named_material(monkeypatch):
    prompt = ("Translate this memo for our board into German, keep the numbers. It argues we should close the Lyon "
              "plant: the risks to 300 jobs, 4M in savings a year, and the evidence from our Porto closure.")
    decision = gate.should_deliberate(prompt)
    assert not decision.deliberate and decision.reasons[-1] == "veto: a transformation of supplied material"
    _without(monkeypatch, "material")
    assert gate.should_deliberate(prompt).deliberate


def test_recipe_keeps_a_cooking_question_plain(monkeypatch):
    prompt = ("What would be a good recipe for dinner tonight? I have two chicken breasts, rice, a lemon and some "
              "spinach, and I'm trying to decide between something quick or a slow braise.")
    decision = gate.should_deliberate(prompt)
    assert not decision.deliberate and decision.reasons[0] == "plain: recipe"
    _without(monkeypatch, "recipe")
    assert gate.should_deliberate(prompt).deliberate


def test_structural_judgement_cues_let_in_questions_without_stock_words(monkeypatch):
    choice = ("Our SaaS has 1,200 customers on a legacy $19/month plan. Moving them to the new $29 plan would add "
              "about $140k a year, but churn on the last increase was 9%. Grandfather them, migrate them, or offer "
              "a discount for annual billing?")
    conditional = ("If China stopped buying US treasuries tomorrow, would mortgage rates in America go up much, "
                   "and for how long?")
    assert gate.should_deliberate(choice).deliberate and gate.should_deliberate(conditional).deliberate
    monkeypatch.setattr(features, "_options", lambda own: (0, False))  # "A, B, or C?"
    assert not gate.should_deliberate(choice).deliberate
    monkeypatch.setattr(features, "_PAIRS", ())  # "if ..., would ..."
    assert not gate.should_deliberate(conditional).deliberate


# ---------------------------------------------------------------------------- the model's features

@pytest.mark.parametrize("feature, category, at_least", [
    ("tactical_ask", "tactical", 6),
    ("plain_ask", "plain", 12),
    ("judgement_ask", "deliberate", 30),
    ("judgement_breadth", "deliberate", 1),
    ("pasted", "tactical", 1),
])
def test_each_model_feature_decides_rows(monkeypatch, feature, category, at_least):
    monkeypatch.setitem(weights.WEIGHTS, feature, (0.0, 0.0, 0.0))
    broken = _broken(category)
    assert len(broken) >= at_least, broken


def test_the_situation_bears_on_a_judgement_asked(monkeypatch):
    for name in features.SITUATION:
        monkeypatch.setitem(weights.WEIGHTS, f"judgement*{name}", (0.0, 0.0, 0.0))
    assert len(_broken("deliberate")) >= 25


# ---------------------------------------------------------------------------- rules

def test_the_floor_keeps_short_rows_out():
    assert len(_broken("short", config=GateConfig(min_words=1))) >= 12


def test_cjk_counted_by_characters_lets_hard_cjk_rows_over_the_floor(monkeypatch):
    monkeypatch.setattr(words, "CJK_WORDS_PER_CHAR", 0.0)
    broken = _broken("deliberate")
    assert len(broken) >= 40 and all(r.split("-")[1] in ("zh", "ja", "ko") for r in broken), broken


def test_tool_results_end_a_transcript_without_a_new_question(monkeypatch):
    monkeypatch.setattr(gate, "TOOL_ROLES", ())
    assert len(_broken("tool results")) >= 8


def test_pasted_material_is_not_the_users_own(monkeypatch):
    monkeypatch.setattr(gate, "own_text", lambda text: text)
    assert len(_broken("tactical")) >= 10 and len(_broken("short")) >= 3


def test_an_ask_that_names_its_material_first_strips_what_follows(monkeypatch):
    monkeypatch.setattr(paste, "_ask_then_paste", lambda lines: None)
    assert len(_broken("tactical")) >= 3


def test_quotations_are_someone_elses_words(monkeypatch):
    monkeypatch.setattr(paste, "QUOTED", re.compile("(?!)"))
    assert len(_broken("tactical")) >= 1


def test_the_veto_keeps_a_transformation_out_whatever_the_preamble_says(monkeypatch):
    prompt = ("make this email friendlier, and keep the numbers, because the board has to choose between layoffs "
              "and a budget freeze and they are nervous about the risks:\n\n\"Dear all, the evidence from the last "
              "three quarters is clear: our pricing strategy failed. We must now decide whether to cut the budget.\"")
    assert not gate.should_deliberate(prompt).deliberate
    monkeypatch.setattr(gate, "transforms_supplied_material", lambda shape: False)
    assert gate.should_deliberate(prompt).deliberate
    assert len(_broken("tactical")) >= 1
