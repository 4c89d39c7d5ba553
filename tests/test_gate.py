"""The deliberation gate: labelled prompts, the hard floor as a property, and no I/O."""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusion_tool.modes import gate
from fusion_tool.modes.gate import DEFAULT_MIN_WORDS, Decision, GateConfig, count_words, own_text, should_deliberate

DATA = Path(__file__).parent / "data" / "gate_prompts.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
AGREEMENT_FLOOR = 0.90


def _own(prompt: str) -> int:
    return count_words(own_text(prompt))


def _disagreements(rows):
    out = []
    for row in rows:
        decision = should_deliberate(row["prompt"])
        if decision.deliberate != row["deliberate"]:
            out.append(f"[{row['kind']}] label={row['deliberate']} score={decision.score} "
                       f"reasons={decision.reasons} :: {row['prompt'][:90]!r}")
    return out


# ---------------------------------------------------------------------------- the labelled set

def test_labelled_set_is_big_balanced_and_realistic():
    assert len(ROWS) >= 70
    share = sum(r["deliberate"] for r in ROWS) / len(ROWS)
    assert 0.4 <= share <= 0.6, share
    long_tactical = [r for r in ROWS if r["kind"] == "tactical-long" and count_words(r["prompt"]) >= 90]
    assert len(long_tactical) >= 12
    under = [r for r in ROWS if _own(r["prompt"]) < DEFAULT_MIN_WORDS and not r["deliberate"]
             and count_words(r["prompt"]) < DEFAULT_MIN_WORDS]
    assert len(under) >= 20  # plenty of short questions, deep-sounding ones included


def test_agreement_with_labels():
    bad = _disagreements(ROWS)
    agreement = 1 - len(bad) / len(ROWS)
    print(f"gate agreement {agreement:.3f} over {len(ROWS)} prompts")
    assert agreement >= AGREEMENT_FLOOR, "disagreements:\n" + "\n".join(bad)


def test_every_prompt_under_the_floor_agrees():
    under = [r for r in ROWS if _own(r["prompt"]) < DEFAULT_MIN_WORDS]
    assert under
    bad = _disagreements(under)
    assert not bad, "disagreements under the floor:\n" + "\n".join(bad)
    for row in under:
        assert should_deliberate(row["prompt"]).reasons[0].startswith("short: ")


# ---------------------------------------------------------------------------- reasons and shapes

def test_reason_strings_read_well_in_a_log():
    assert should_deliberate("compare Rust and Go?").reasons[0] == f"short: 4 words < {DEFAULT_MIN_WORDS}"
    long_translate = "Translate this paragraph into German for me, please, and keep the tone:\n\n" + "word " * 100
    assert should_deliberate(long_translate).reasons == ("tactical: translate",)
    deep = ("My mother has atrial fibrillation; compare and contrast warfarin with apixaban for her, "
            "what does the evidence say about bleeding risk at 80?")
    decision = should_deliberate(deep)
    assert decision.deliberate
    assert "signal: compare-and-contrast" in decision.reasons
    assert "signal: high-stakes (medical)" in decision.reasons
    assert json.loads(json.dumps(decision.to_dict())) == {
        "deliberate": True, "score": decision.score, "reasons": list(decision.reasons)}
    assert 0.0 <= decision.score <= 1.0


def test_decisions_are_deterministic_and_frozen():
    for row in ROWS[::7]:
        assert should_deliberate(row["prompt"]) == should_deliberate(row["prompt"])
    with pytest.raises(AttributeError):
        should_deliberate("hi").deliberate = True  # type: ignore[misc]


def test_string_messages_and_content_parts_agree():
    prompt = next(r["prompt"] for r in ROWS if r["deliberate"])
    parts = [{"type": "text", "text": prompt}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    as_parts = should_deliberate([{"role": "system", "content": "Be helpful."},
                                  {"role": "user", "content": parts}])
    assert as_parts == should_deliberate(prompt) == should_deliberate([{"role": "user", "content": prompt}])
    assert not should_deliberate([{"role": "user", "content": None}]).deliberate
    assert should_deliberate([]).reasons == ("no user turn",)


def test_only_the_last_user_turn_counts():
    deep = next(r["prompt"] for r in ROWS if r["kind"] == "medical-decision")
    transcript = [{"role": "user", "content": deep}, {"role": "assistant", "content": "..."},
                  {"role": "user", "content": "thanks!"}]
    assert not should_deliberate(transcript).deliberate
    transcript[-1] = {"role": "user", "content": deep}
    transcript.append({"role": "assistant", "content": "Let me think."})
    assert should_deliberate(transcript).deliberate


def test_pasted_material_is_not_own_words():
    fenced = "Please fix this:\n```python\n" + "x = compute(a, b)  # evidence trade-offs\n" * 40 + "```"
    assert _own(fenced) == 3
    quoted = 'Is the claim "the literature shows broad consensus that this diet reverses disease" right?'
    assert _own(quoted) == 4
    lead_in = "Here is the email:\n\n" + "We should compare the options and weigh the evidence.\n" * 20
    assert _own(lead_in) == 4
    csv = "Convert it to JSON\n" + "1,Alice,France,2023-01-14,pro,49.00\n" * 20
    assert _own(csv) == 4
    quote_block = "Translate into French:\n" + "> The committee weighed the evidence and trade-offs.\n" * 10
    assert _own(quote_block) == 3
    own_context = "Should we migrate to Kubernetes? Constraints:\n- a team of three\n- a deadline in May\n"
    assert _own(own_context) == 14  # the user's own bullet points do count


@pytest.mark.parametrize("prompt, reason", [
    ("Can you please rewrite the following paragraph so it sounds friendlier to customers?", "tactical: rewrite"),
    ("Summarise this article for me in five bullet points, keeping the key numbers:", "tactical: summarise"),
    ("what is the capital of Australia and what is the population of its largest city", "tactical: lookup"),
    ("there is a bug in this function, the loop never ends when the list is empty, fix it", "tactical: fix"),
])
def test_tactical_requests(prompt, reason):
    assert should_deliberate(prompt).reasons == (reason,)


@pytest.mark.parametrize("prompt", [
    "Summarize the evidence from randomized trials on whether statins prevent dementia, and where do the "
    "major studies disagree?",
    "Correct me if I'm wrong, but isn't the scientific consensus now that moderate drinking has no health benefit?",
    "Is there an error in my reasoning? I think we should sell our index funds before the election because "
    "the risk of a crash is high.",
])
def test_tactical_looking_words_that_are_not_tactical(prompt):
    decision = should_deliberate(prompt)
    assert decision.deliberate, decision


# ---------------------------------------------------------------------------- properties

def _trigger_words() -> list[str]:
    sources = [p for _, _, p in gate.SIGNALS] + [p for _, p in gate.HIGH_STAKES]
    sources += [gate.WHY_HOW, gate.HORIZON, gate.CONSTRAINTS]
    words = {w for p in sources for w in re.findall(r"[a-zà-ÿ][a-zà-ÿ'-]+", p)}
    words |= {"compare", "contrast", "trade-offs", "pros", "cons", "evidence", "literature", "red-team",
              "stress-test", "consensus", "disagree", "true", "should", "forecast", "why", "how",
              "medical", "legal", "financial", "security", "architecture", "?", "```", ">", '"', ":"}
    return sorted(words)


TRIGGERS = _trigger_words()
WORD = st.one_of(
    st.sampled_from(TRIGGERS),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(
        lambda w: not any(ch.isspace() for ch in w)),
)
JOIN = st.sampled_from([" ", "\n", "\n\n", "  ", "\t", "\n> ", ":\n", "\n```\n", " \u00a0"])
LONG_DEEP = next(r["prompt"] for r in ROWS if r["kind"] == "architecture")


@st.composite
def short_turn(draw):
    """(min_words, messages) whose last user turn has fewer than min_words words."""
    min_words = draw(st.one_of(st.just(DEFAULT_MIN_WORDS), st.integers(1, 40)))
    words = draw(st.lists(WORD, max_size=min_words - 1))
    text = draw(JOIN).join(words)
    shape = draw(st.sampled_from(["string", "message", "parts", "transcript"]))
    if shape == "string":
        return min_words, text
    if shape == "message":
        return min_words, [{"role": "user", "content": text}]
    cut = draw(st.integers(0, len(words)))
    parts = [{"type": "text", "text": " ".join(words[:cut])}, {"type": "image_url", "image_url": {"url": "x"}},
             {"type": "text", "text": " ".join(words[cut:])}]
    if shape == "parts":
        return min_words, [{"role": "user", "content": parts}]
    return min_words, [{"role": "system", "content": LONG_DEEP}, {"role": "user", "content": LONG_DEEP},
                       {"role": "assistant", "content": LONG_DEEP}, {"role": "user", "content": parts}]


@settings(max_examples=400, deadline=None)
@given(short_turn())
def test_nothing_under_the_floor_is_ever_gated_in(case):
    min_words, messages = case
    decision = should_deliberate(messages, config=GateConfig(min_words=min_words))
    assert not decision.deliberate, decision
    if min_words == DEFAULT_MIN_WORDS:
        assert not should_deliberate(messages).deliberate


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(st.characters(max_codepoint=127))))
def test_count_words_is_tokens_with_a_letter_or_digit(text):
    assert count_words(text) == sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ROWS), st.booleans())
def test_force_always_deliberates(row, end_with_tool):
    messages = [{"role": "user", "content": row["prompt"]}]
    if end_with_tool:
        messages += [{"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                      "function": {"name": "search", "arguments": "{}"}}]},
                     {"role": "tool", "tool_call_id": "c1", "content": "results"}]
    decision = should_deliberate(messages, force=True)
    assert decision.deliberate and decision.reasons[0] == "forced"
    assert should_deliberate([], force=True).deliberate


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([r for r in ROWS if r["deliberate"]]), st.integers(1, 3))
def test_tool_results_never_deliberate_without_force(row, n_tools):
    messages = [{"role": "user", "content": row["prompt"]},
                {"role": "assistant", "content": None, "tool_calls": []}]
    messages += [{"role": "tool", "tool_call_id": f"c{i}", "content": LONG_DEEP} for i in range(n_tools)]
    decision = should_deliberate(messages)
    assert not decision.deliberate
    assert decision.reasons == ("turn is tool results only",)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ROWS))
def test_min_words_is_configurable(row):
    n = _own(row["prompt"])
    decision = should_deliberate(row["prompt"], config=GateConfig(min_words=n + 1))
    assert not decision.deliberate
    assert decision.reasons[0] == f"short: {n} words < {n + 1}"


def test_a_lower_floor_lets_a_short_deep_question_through():
    prompt = "Is it true vaccines cause autism? What does the evidence say?"
    assert not should_deliberate(prompt).deliberate
    assert should_deliberate(prompt, config=GateConfig(min_words=5)).deliberate


# ---------------------------------------------------------------------------- cheap: no I/O at all

def test_a_thousand_decisions_need_no_io(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the gate must not do I/O")

    long_prompts = [r["prompt"] for r in ROWS if count_words(r["prompt"]) > 40]
    assert long_prompts
    yaml = "Should we keep this config as it is? Is it risky to deploy it on Friday:\n" + "key:\n  value: 1\n" * 3000
    huge = [yaml, "compare " * 20_000, "```" * 5_000 + '"a b c d e f" ' * 5_000]  # no quadratic blow-up
    with monkeypatch.context() as patch:
        for target, name in [(socket, "socket"), (socket, "create_connection"), (socket, "getaddrinfo"),
                             (builtins, "open"), (io, "open"), (os, "open")]:
            patch.setattr(target, name, forbidden)
        decisions = [should_deliberate(long_prompts[i % len(long_prompts)]) for i in range(1000)]
        decisions += [should_deliberate(prompt) for prompt in huge]
    assert all(isinstance(d, Decision) for d in decisions)
    assert not decisions[-2].deliberate  # 20,000 own words and one signal: length helps a little, not a lot
