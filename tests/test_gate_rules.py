"""The deliberation gate's rules, one at a time: the floor and how words are counted in every script,
which turns are never gated in, the tactical veto, what the reasons say, the model's arithmetic,
the structure the features read (options, numbers, questions, length) and what counts as pasted.

Every test is cheap (no labelled set is scored here) and none touches the network."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusion_tool.modes.gate import (
    DEFAULT_MIN_WORDS,
    DEFAULT_THRESHOLD,
    Decision,
    GateConfig,
    latest_turn,
    reasons,
    shape_of,
    should_deliberate,
    weights,
)
from fusion_tool.modes.gate.features import (
    CUE_FAMILIES,
    JUDGEMENT_FAMILIES,
    MODEL_FEATURES,
    PASTED_VETO,
    PLAIN_FAMILIES,
    SITUATION,
    STRUCTURAL_JUDGEMENT,
    TACTICAL_FAMILIES,
    WINDOW,
    Shape,
    _numbers,
    _options,
    _sentences,
    derive,
    transforms_supplied_material,
)
from fusion_tool.modes.gate.lexicon import prepare
from fusion_tool.modes.gate.model import Verdict, classify
from fusion_tool.modes.gate.paste import _looks_like_data, own_text, pasted_share
from fusion_tool.modes.gate.words import CJK_WORDS_PER_CHAR, count_at_least, count_words, has_dense

DEEP = ("Should we move our startup from Heroku to AWS given a team of three, a budget of $2k a month "
        "and a launch in May?")
TRANSLATE = "Translate this memo into German for our Berlin office, keep the formal tone and the numbers."


# ---------------------------------------------------------------------------- counting words

@pytest.mark.parametrize("text, n", [
    ("", 0), ("   \n\t ", 0), ("hello", 1), ("hello world", 2), ("a-b c_d e.f", 3),
    ("... !!! --- ???", 0),  # a token of punctuation alone is no word
    ("What? Really?! (yes)", 3), ("x = 1 + 2", 3), ("2026", 1),
    ("café résumé ... naïve !!", 3), ("Привет, мир — как дела?", 4), ("مرحبا بالعالم", 2),
    ("नमस्ते दुनिया", 2),
    ("你好", 1), ("你好世界", 2), ("你好世界吗", 2),  # two characters to a word, rounded down
    ("hello 你好 world", 3), ("hello你好world", 3), ("我们应该怎么选择？", 4),
    ("こんにちは", 2), ("カタカナ", 2), ("안녕하세요 여러분", 4), ("ㄱㄴ", 1), ("ᄀᄁ", 1),
    ("丽丽", 1), ("\uf900\uf901", 1), ("㐀㐁", 1),
])
def test_words_are_tokens_with_a_letter_or_digit_and_cjk_counts_two_characters_a_word(text, n):
    assert count_words(text) == n


def test_cjk_counts_half_a_word_a_character():
    assert CJK_WORDS_PER_CHAR == 0.5
    assert count_words("字" * 24) == DEFAULT_MIN_WORDS == count_words("字" * 25)
    assert count_words("字" * 23) == DEFAULT_MIN_WORDS - 1


def test_dense_scripts_are_recognised():
    assert has_dense("用中文") and has_dense("ひらがな") and has_dense("한국어") and has_dense("abc 字")
    assert not has_dense("plain ascii") and not has_dense("café") and not has_dense("Привет") and not has_dense("")


def test_a_long_turn_is_counted_only_as_far_as_needed():
    text = "word " * 1000  # 5,000 characters: its first 1,200 hold 240 words, the last cut at the space
    assert count_at_least(text, 96) == (239, False)
    assert count_at_least(text, 239) == (239, False)
    assert count_at_least(text, 240) == (1000, True)  # not enough in the head: counted to the end
    assert count_at_least(text, 96, chars=600) == (119, False)
    assert count_at_least("word " * 240, 10) == (240, True)  # 1,200 characters: short enough to count
    assert count_at_least("x" * 5000, 1) == (1, False)  # no space to cut at: the head is one token
    assert count_at_least("x" * 5000 + " y", 2) == (2, True)
    assert shape_of(text)[0] == "239+" and shape_of("word " * 50)[0] == "50"


def test_a_long_turn_of_few_words_is_counted_exactly():
    text = "abcdefghijklmno " * 100  # 1,600 characters, 100 words: its head holds fewer than 96 of them
    assert shape_of(text)[0] == "100" and shape_of(text, min_words=9)[0] == "74+"


def test_the_floor_moves_the_length_the_features_read():
    text = "abcdefghijklmno " * 100
    assert should_deliberate(text, config=GateConfig(min_words=9)).reasons[1] == "own words: 74+"
    assert should_deliberate(text).reasons[1] == "own words: 100"
    lower = should_deliberate(DEEP, config=GateConfig(min_words=6))
    assert lower.score > should_deliberate(DEEP).score  # the same turn is longer against a lower floor


def test_the_own_words_reason_reads_plus_on_a_long_turn():
    long = DEEP + " " + "We have thought about it for a long time and the team is split. " * 60
    decision = should_deliberate(long)
    assert decision.reasons[1].startswith("own words: ") and decision.reasons[1].endswith("+")
    n = int(decision.reasons[1].removeprefix("own words: ").rstrip("+"))
    assert 8 * DEFAULT_MIN_WORDS <= n < count_words(long)
    assert should_deliberate(DEEP).reasons[1] == f"own words: {count_words(DEEP)}"


# ---------------------------------------------------------------------------- the floor

def test_the_defaults():
    assert DEFAULT_MIN_WORDS == 12 and DEFAULT_THRESHOLD == 0.5
    assert GateConfig() == GateConfig(min_words=12, threshold=0.5)


@pytest.mark.parametrize("n", [1, 5, 11])
def test_under_the_floor_is_no_with_the_count_in_the_reason(n):
    words = ("should we decide the evidence trade-off risk money health forecast diagnose compare why " * 2).split()
    text = " ".join(words[:n])
    assert should_deliberate(text) == Decision(False, 0.0, (f"short: {n} words < 12",))


def test_the_floor_is_inclusive_at_min_words():
    text = DEEP
    n = count_words(text)
    at = should_deliberate(text, config=GateConfig(min_words=n))
    assert at.deliberate and not at.reasons[0].startswith("short")
    assert should_deliberate(text, config=GateConfig(min_words=n + 1)) == Decision(
        False, 0.0, (f"short: {n} words < {n + 1}",))


def test_the_floor_in_chinese_is_24_characters():
    ask = "我们公司应该选择自建机房还是继续使用云服务，预算有限，团队只有三个人，你怎么看？"
    chars = sum(1 for ch in ask if has_dense(ch))
    assert chars >= 2 * DEFAULT_MIN_WORDS
    assert not should_deliberate(ask).reasons[0].startswith("short")
    cut = ask[:23]
    decision = should_deliberate(cut)
    assert decision.reasons == (f"short: {count_words(cut)} words < 12",) and not decision.deliberate


def test_force_passes_the_floor_and_the_veto_and_says_so():
    short = should_deliberate("hi", force=True)
    assert short.deliberate and short.reasons[0] == "forced" and len(short.reasons) == 5
    assert short.reasons[2] == "own words: 1"
    veto = should_deliberate(TRANSLATE, force=True)
    assert veto.deliberate and veto.reasons[0] == "forced" and veto.reasons[-1].startswith("score ")
    assert should_deliberate([], force=True) == Decision(True, 0.0, ("forced",))
    tools = [{"role": "user", "content": DEEP}, {"role": "tool", "tool_call_id": "c", "content": "x"}]
    assert should_deliberate(tools, force=True) == Decision(True, 0.0, ("forced",))
    plain = should_deliberate(DEEP)
    forced = should_deliberate(DEEP, force=True)
    assert forced.reasons == ("forced", *plain.reasons) and forced.score == plain.score


# ---------------------------------------------------------------------------- which turn counts

def test_transcripts_ending_in_tool_results_are_never_gated_in():
    for role in ("tool", "function"):
        messages = [{"role": "user", "content": DEEP}, {"role": role, "content": DEEP}]
        assert should_deliberate(messages) == Decision(False, 0.0, ("turn is tool results only",))
        assert latest_turn(messages) is None
    assert latest_turn([{"role": "tool", "content": "x"}, {"role": "user", "content": "hello"}]) == "hello"


def test_no_user_turn():
    for messages in ([], [{"role": "assistant", "content": DEEP}], [{"role": "system", "content": DEEP}]):
        assert should_deliberate(messages) == Decision(False, 0.0, ("no user turn",))
        assert latest_turn(messages) is None


def test_a_string_is_the_turn():
    assert latest_turn(DEEP) == DEEP
    assert latest_turn("") == ""
    assert should_deliberate("") == Decision(False, 0.0, ("short: 0 words < 12",))


def test_messages_may_be_objects_as_well_as_dicts():
    messages = [SimpleNamespace(role="user", content=DEEP), SimpleNamespace(role="assistant", content="ok"),
                SimpleNamespace(role="user", content="thanks, that helps a lot")]
    assert latest_turn(messages) == "thanks, that helps a lot"
    messages[-1] = SimpleNamespace(role="user", content=DEEP)
    assert should_deliberate(messages) == should_deliberate(DEEP)
    assert should_deliberate([SimpleNamespace(role="user", content=DEEP), SimpleNamespace(role="tool", content="r")]
                             ).reasons == ("turn is tool results only",)
    assert latest_turn([SimpleNamespace(content=DEEP)]) is None  # no role: not a user turn


def test_only_the_latest_user_turn_counts_not_the_first():
    messages = [{"role": "user", "content": "thanks, that helps a lot"}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": DEEP}]
    assert latest_turn(messages) == DEEP and should_deliberate(messages).deliberate


# ---------------------------------------------------------------------------- threshold and score

def test_the_threshold_is_inclusive():
    decision = should_deliberate(DEEP)
    assert decision.deliberate and decision.reasons[-1] == f"score {decision.score} >= 0.5"
    at = should_deliberate(DEEP, config=GateConfig(threshold=decision.score))
    assert at.deliberate and at.reasons[-1] == f"score {decision.score} >= {decision.score}"
    above = should_deliberate(DEEP, config=GateConfig(threshold=decision.score + 0.001))
    assert not above.deliberate and above.reasons[-1] == f"score {decision.score} < {decision.score + 0.001}"
    assert above.reasons[0].startswith("below threshold: decision")
    assert should_deliberate(DEEP, config=GateConfig(threshold=0.0)).deliberate


def test_decision_to_dict():
    d = Decision(True, 0.75, ("a", "b"))
    assert d.to_dict() == {"deliberate": True, "score": 0.75, "reasons": ["a", "b"]}
    assert isinstance(d.to_dict()["reasons"], list)


# ---------------------------------------------------------------------------- the tactical veto

def test_the_veto_reasons():
    decision = should_deliberate(TRANSLATE)
    assert decision == Decision(False, 0.0, (
        "tactical: translate supplied text", "own words: 16",
        "cues: transform (translat*), material (this memo), limits (keep the), deliverable (memo)",
        "veto: a transformation of supplied material"))


def test_the_veto_needs_a_named_material_or_a_paste():
    # a transformation asked of nothing named, and nothing pasted: the model decides, no veto
    decision = should_deliberate("Summarize the evidence from randomized trials on whether statins prevent "
                                 "dementia, and where do the major studies disagree?")
    assert decision.deliberate and decision.reasons[-1].startswith("score ")


# ---------------------------------------------------------------------------- the model's arithmetic

def _reference(values: dict[str, float]) -> tuple[str, float, dict[str, float]]:
    """A multinomial logistic regression written out: softmax of bias + weights . features."""
    logits = {c: weights.BIAS[k] + sum(weights.WEIGHTS[f][k] * values[f] for f in weights.WEIGHTS)
              for k, c in enumerate(weights.CLASSES)}
    total = sum(math.exp(z) for z in logits.values())
    ranked = sorted(logits, key=logits.get, reverse=True)
    best, rival = (weights.CLASSES.index(c) for c in ranked[:2])
    contributions = {f: values[f] * (weights.WEIGHTS[f][best] - weights.WEIGHTS[f][rival])
                     for f in weights.WEIGHTS if values[f]}
    return ranked[0], math.exp(logits["deliberate"]) / total, contributions


def _shape(values: dict[str, float]) -> Shape:
    return Shape(values=values, hits={}, numbers=0, options=0, own="")


FEATURE_VALUES = st.fixed_dictionaries({f: st.one_of(st.just(0.0), st.just(1.0), st.floats(0, 1))
                                        for f in MODEL_FEATURES})


@settings(max_examples=100, deadline=None)
@given(FEATURE_VALUES)
def test_the_model_is_a_softmax_over_its_weights(values):
    verdict = classify(_shape(values))
    best, p, contributions = _reference(values)
    assert verdict.shape == best
    assert verdict.score == round(verdict.score, 3) and abs(verdict.score - p) <= 0.0005 + 1e-9
    assert verdict.contributions.keys() == contributions.keys()
    for name, value in contributions.items():
        assert verdict.contributions[name] == pytest.approx(value, abs=1e-12)


def test_the_model_on_no_features_is_its_bias():
    verdict = classify(_shape(dict.fromkeys(MODEL_FEATURES, 0.0)))
    exps = [math.exp(b) for b in weights.BIAS]
    assert verdict == type(verdict)("plain", round(exps[2] / sum(exps), 3), {})
    judgement = classify(_shape({**dict.fromkeys(MODEL_FEATURES, 0.0), "judgement_ask": 1.0}))
    assert judgement.shape == "deliberate" and judgement.contributions == {
        "judgement_ask": pytest.approx(weights.WEIGHTS["judgement_ask"][2] - weights.WEIGHTS["judgement_ask"][1])}


def test_the_model_reads_every_feature_it_has_a_weight_for():
    assert set(weights.WEIGHTS) == set(MODEL_FEATURES)
    base = dict.fromkeys(MODEL_FEATURES, 0.0)
    for name in MODEL_FEATURES:
        verdict = classify(_shape({**base, name: 1.0}))
        assert set(verdict.contributions) == {name}, name
        best, p, _ = _reference({**base, name: 1.0})
        assert verdict.shape == best and abs(verdict.score - p) <= 0.0005 + 1e-9, name


# ---------------------------------------------------------------------------- what the reasons say

ALL_FEATURES = (*CUE_FAMILIES, *SITUATION, *STRUCTURAL_JUDGEMENT, *MODEL_FEATURES)


def _seen(hits: dict[str, set[str]] | None = None, numbers: int = 0, options: int = 0, **values: float) -> Shape:
    return Shape(values={**dict.fromkeys(ALL_FEATURES, 0.0), **values}, hits=hits or {}, numbers=numbers,
                 options=options, own="")


DELIBERATE = Verdict("deliberate", 0.9, {})
TACTICAL = Verdict("tactical", 0.1, {})
PLAIN = Verdict("plain", 0.1, {})


def test_a_deliberate_name_says_which_judgement_and_its_details():
    assert reasons.name(_seen(), DELIBERATE, True) == "deliberate: situation with stakes"
    assert reasons.name(_seen(), DELIBERATE, False) == "below threshold: situation with stakes"
    assert reasons.name(_seen(decide=0.5), DELIBERATE, True) == "deliberate: decision"
    assert reasons.name(_seen(decide=0.5, numbers=1), DELIBERATE, True) == "deliberate: decision"
    assert reasons.name(_seen(decide=0.5, numbers=2), DELIBERATE, True) == "deliberate: decision under constraints"
    assert reasons.name(_seen(decide=0.5, constraint=0.5), DELIBERATE, True) == (
        "deliberate: decision under constraints")
    assert reasons.name(_seen(diagnose=0.5, numbers=5), DELIBERATE, True) == "deliberate: diagnosis"
    assert reasons.name(_seen(choice_question=1.0, numbers=2), DELIBERATE, True) == (
        "deliberate: decision under constraints")
    assert reasons.name(_seen(options=1), DELIBERATE, True) == "deliberate: situation with stakes"
    assert reasons.name(_seen(options=2), DELIBERATE, True) == "deliberate: situation with stakes, 2 options"
    stakes = {"stakes:money": {"$"}, "stakes:health": {"doctor"}, "stakes:systems": {"server"}}
    assert reasons.name(_seen(stakes, options=4, evidence=0.5), DELIBERATE, True) == (
        "deliberate: evidence or a contested claim, 4 options, stakes: health, money, systems")
    # a model that says deliberate under the threshold names the judgement it saw, not a tactic
    assert reasons.name(_seen(forecast=0.5), DELIBERATE, False) == "below threshold: forecast"
    # and a deliberate decision (a lower threshold) on a plain verdict still names the judgement
    assert reasons.name(_seen(weigh=0.5), PLAIN, True) == "deliberate: judgement asked"


def test_the_strongest_family_wins_and_the_first_listed_on_a_tie():
    assert reasons.name(_seen(decide=0.5, diagnose=0.75), DELIBERATE, True) == "deliberate: diagnosis"
    assert reasons.name(_seen(decide=0.5, diagnose=0.5), DELIBERATE, True) == "deliberate: decision"
    assert reasons.name(_seen(critique=0.5, hypothetical_pair=1.0), DELIBERATE, True) == "deliberate: hypothetical"
    assert reasons.name(_seen(lookup=0.5, code_task=0.5), TACTICAL, False) == "tactical: lookup"
    assert reasons.name(_seen(lookup=0.5, code_task=0.75), TACTICAL, False) == "tactical: specified code"
    assert reasons.name(_seen(chore=0.5), TACTICAL, False) == "tactical: coding chore"
    assert reasons.name(_seen(creative=0.5, explain=0.5), PLAIN, False) == "plain: creative piece"
    assert reasons.name(_seen(creative=0.5, recipe=0.75), PLAIN, False) == "plain: recipe"


def test_a_tactical_name_says_which_transformation():
    assert reasons.name(_seen(), TACTICAL, False) == "tactical: transform supplied material"
    assert reasons.tactical(_seen()) == "tactical: transform supplied material"
    hits = {"transform:rewrite": {"rewrite"}, "transform:fix": {"fix"}}
    assert reasons.tactical(_seen(hits, transform=0.75)) == "tactical: fix supplied code"
    assert reasons.name(_seen(hits, transform=0.75, lookup=0.5), TACTICAL, False) == "tactical: fix supplied code"
    assert reasons.name(_seen(hits, transform=0.5, lookup=0.5), TACTICAL, False) == "tactical: lookup"
    assert reasons.tactical(_seen(hits, transform=0.75, lookup=0.5, decide=0.9)) == (
        "tactical: fix supplied code")  # the veto names the transformation, whatever the judgement cues
    for kind, named in reasons.TRANSFORM_NAMES.items():
        assert reasons.tactical(_seen({f"transform:{kind}": {"x"}}, transform=0.5)) == f"tactical: {named}"


def test_a_plain_name():
    assert reasons.name(_seen(), PLAIN, False) == "plain: no judgement asked"
    for family, named in reasons.PLAIN_KINDS.items():
        assert reasons.name(_seen(**{family: 0.5}), PLAIN, False) == f"plain: {named}"
    assert reasons.name(_seen(lookup=0.5), PLAIN, False) == "plain: no judgement asked"


def test_the_cues_reason_names_each_family_with_a_cue():
    assert reasons.cues(_seen()) == "cues: none"
    hits = {"decide": {"should we", "or"}, "stakes:money": {"$"}, "stakes:people": {"kids"}}
    assert reasons.cues(_seen(hits, numbers=3, decide=0.75)) == (
        "cues: decide (or), stakes (money, people), numbers (3)")
    assert reasons.cues(_seen(hypothetical_pair=1.0, choice_question=1.0)) == "cues: hypothetical_pair, choice_question"
    assert reasons.cues(_seen(hypothetical_pair=0.0, decide=0.5)) == "cues: none"  # a value alone names no cue family
    assert reasons.cues(_seen(numbers=1)) == "cues: numbers (1)"


def test_the_cues_reason_stops_at_five():
    five = {f: {f[:3]} for f in ("lookup", "creative", "decide", "diagnose", "forecast")}
    assert reasons.cues(_seen(five)) == (
        "cues: lookup (loo), creative (cre), decide (dec), diagnose (dia), forecast (for)")
    assert reasons.cues(_seen(five, numbers=2)) == (
        "cues: lookup (loo), creative (cre), decide (dec), diagnose (dia), forecast (for), ...")
    assert reasons.cues(_seen(five, numbers=2), limit=6).endswith("forecast (for), numbers (2)")


# ---------------------------------------------------------------------------- the structure the features read

def test_sentences_end_at_a_mark_and_a_space_or_at_a_line_break():
    assert _sentences("One. Two! Three?\nFour。 五！ 六？ seven؟ eight") == [
        "One.", "Two!", "Three?", "Four。", "五！", "六？", "seven؟", "eight"]
    assert _sentences("a.b c\n\nd") == ["a.b c", "d"]
    assert _sentences("") == [""] and _sentences("no end") == ["no end"]


@pytest.mark.parametrize("text, options, asked", [
    ("Grandfather them, migrate them, or offer a discount?", 3, True),
    ("I am thinking about this: red, green, or blue?", 3, True),  # a colon introduces the list
    ("We can go with Postgres, MySQL, SQLite or MongoDB. Which one fits?", 4, False),
    ("red, green, blue or yellow? I like them.", 4, True),
    ("tea or coffee?", 2, True), ("coffee or tea? ", 2, True), ("it is either this or that", 2, False),
    ("A or B or C", 2, False),
    ("Should I take the job or not?", 0, False), ("more or less fine, sooner or later done", 0, False),
    ("more or less red, green, blue", 0, False), ("Red, green, or blue more or less?", 3, True),
    ("one two three four five six seven eight, short, or other?", 3, True),  # items of up to 8 words
    ("one two three four five six seven eight nine, short, or other?", 2, True),
    ("one two three four five six seven more or less, short, or other?", 3, True),  # an idiom is no word
    (" or tea?", 0, False), ("x: or tea?", 2, True),
    ("甲乙丙丁，短，还是长？", 3, True), ("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未，短，还是长？", 2, True),
    ("x, y or z. Then: p, q, or r?", 3, True),
    ("Options:\n1. rent\n2. buy\n3. wait", 3, False), ("1) first\n2) second", 2, False),
    ("a. one\nb. two\nc. three", 3, False), ("Opción A: x\nopción B: y", 2, False), ("Option A: rent\nOption B: buy", 2, False),
    ("  1. a\n  2. b", 2, False), ("1. only one", 0, False), ("d. x\ne. y", 0, False),
    ("1. a\n2. b\n3. c\n4. d\n5. e\n6. f\n7. g", 6, False),  # six at most
    ("tea, coffee, or water?\n1. a\n2. b\n3. c\n4. d\n5. e\n6. f\n7. g", 6, True),
    ("tea or water?\n1. a\n2. b\n3. c", 3, True),
])
def test_the_options_laid_out(text, options, asked):
    assert _options(text) == (options, asked)


def test_options_are_read_in_the_first_and_last_six_sentences_of_a_long_turn():
    sentences = [f"Sentence number {i} is here." for i in range(14)]
    for i, counted in [(0, True), (5, True), (6, False), (7, False), (8, True), (13, True)]:
        text = " ".join(sentences[:i] + ["Red, green, or blue?"] + sentences[i + 1:])
        assert _options(text) == ((3, True) if counted else (0, False)), i
    twelve = " ".join(sentences[:12]).replace("Sentence number 6 is here.", "Red, green, or blue?")
    assert _options(twelve) == (3, True)  # twelve sentences are all read


@pytest.mark.parametrize("text, n", [
    ("I paid $40 and 3 items, 2.5 kg", 5), ("x2 y3 abc 4", 3), ("two kids, three cats", 0),
    ("in usd and eur, 10% off, £5 €6 ¥7 ₹8 ₩9 ₽1", 16), ("no numbers here", 0), ("don't stop the e-mail now", 0),
])
def test_numbers_are_digits_money_signs_and_currencies(text, n):
    assert _numbers(prepare(text), text, 0) == n
    assert _numbers(prepare(text), text, 2) == n + 2  # spelled-out quantities the cue lists found


def test_the_situation_features():
    _, seen = shape_of("What is it? Why? How? Really? " + "word " * 10)
    assert seen.values["questions"] == 1.0  # three questions or more
    assert shape_of("What is it? Why? " + "word " * 10)[1].values["questions"] == pytest.approx(2 / 3)
    assert shape_of("Is it？ Is it؟ " + "word " * 10)[1].values["questions"] == pytest.approx(2 / 3)
    for n, length in [(12, 0.0), (24, 1 / 3), (48, 2 / 3), (96, 1.0), (200, 1.0)]:
        assert shape_of("word " * n)[1].values["length"] == pytest.approx(length), n
    assert shape_of("word " * 6, min_words=3)[1].values["length"] == pytest.approx(1 / 3)
    assert shape_of("word " * 3, min_words=6)[1].values["length"] == 0.0  # under the floor: no length
    _, seen = shape_of("Should I pay the doctor $500, hire a lawyer, talk to my boss at work, and reboot the server "
                       "for my kids?")
    assert seen.values["stakes"] == 1.0 and seen.numbers == 2 and seen.values["numbers"] == pytest.approx(2 / 6)
    _, two = shape_of("Should I pay the doctor $500 for my knee or wait another month, I really am not sure?")
    assert two.values["stakes"] == pytest.approx(2 / 3) or two.values["stakes"] == pytest.approx(1 / 3)
    assert shape_of("1 2 3 4 5 6 7 8 9 numbers everywhere in this turn of mine")[1].values["numbers"] == 1.0


def test_a_family_feature_is_one_minus_a_half_per_distinct_cue():
    _, seen = shape_of("Should we do it, or should I decide to wait, what would you do here in my place now?")
    assert seen.values["decide"] == 1 - 0.5 ** len(seen.hits["decide"]) and len(seen.hits["decide"]) >= 2
    assert seen.values["creative"] == 0.0 and "creative" not in seen.hits


def test_the_judgement_structures():
    _, pair = shape_of("If you were the prime minister and had to choose, would you raise taxes or cut spending?")
    assert pair.values["hypothetical_pair"] == 1.0 and pair.values["judgement_ask"] == 1.0
    _, choice = shape_of("Postgres, MySQL, or SQLite for our small internal tool with one developer and ten users?")
    assert choice.options == 3 and choice.values["choice_question"] == 1.0
    _, two = shape_of("For our small internal tool with one developer and a few users, Postgres or SQLite?")
    assert two.options == 2 and two.values["choice_question"] == 0.0  # "A or B?" is often yes-or-no
    _, told = shape_of("We picked Postgres, MySQL, or SQLite for our small tool, and it went fine for years.")
    assert told.options == 3 and told.values["choice_question"] == 0.0  # not a question


def test_the_model_features_are_derived_from_the_families():
    _, seen = shape_of("Should we decide now? Translate this list and look up the capital, write me a poem too, "
                       "it costs $5 and my kids wait.")
    v = seen.values
    for group, families in (("tactical_ask", TACTICAL_FAMILIES), ("plain_ask", PLAIN_FAMILIES),
                            ("judgement_ask", JUDGEMENT_FAMILIES)):
        assert v[group] == pytest.approx(1 - math.prod(1 - v[f] for f in families)), group
        assert 0.0 < v[group] < 1.0, group
    assert v["judgement_breadth"] == pytest.approx(min(3, sum(1 for f in JUDGEMENT_FAMILIES if v[f])) / 3)
    for name in SITUATION:
        assert v[f"judgement*{name}"] == pytest.approx(v["judgement_ask"] * v[name]), name
    broad = derive({**dict.fromkeys(ALL_FEATURES, 0.0), "decide": 0.5, "diagnose": 0.5, "forecast": 0.5,
                    "evidence": 0.5, "numbers": 0.5})
    assert broad["judgement_breadth"] == 1.0 and broad["judgement_ask"] == pytest.approx(1 - 0.5 ** 4)
    assert broad["judgement*numbers"] == pytest.approx((1 - 0.5 ** 4) * 0.5)
    one = derive({**dict.fromkeys(ALL_FEATURES, 0.0), "weigh": 0.5})
    assert one["judgement_breadth"] == pytest.approx(1 / 3) and one["tactical_ask"] == 0.0 == one["plain_ask"]


def test_a_long_turn_is_read_at_both_ends():
    filler = "The weather was fine and the train was on time that day. " * 60
    middle = filler + "Should we sell the house?" + filler
    assert "decide" not in shape_of(middle)[1].hits and "\n...\n" in shape_of(middle)[1].own
    assert "decide" in shape_of("Should we sell the house? " + filler * 2)[1].hits
    assert "decide" in shape_of(filler * 2 + "Should we sell the house?")[1].hits
    assert shape_of(filler[:2400])[1].own == filler[:2400]  # 2,400 characters or fewer: read whole
    text = "x" * 1000 + " should we sell " + "y" * 1500
    assert len(shape_of(text)[1].own) == 2 * WINDOW + len("\n...\n")
    dense = "天" * 700 + "我们应该卖房子吗" + "天" * 700
    assert len(shape_of(dense)[1].own) == WINDOW + len("\n...\n")  # a CJK character is half a word
    assert len(shape_of("天" * 1200)[1].own) == 1200


# ---------------------------------------------------------------------------- the veto, exactly

def _veto_shape(own: str, pasted: float = 0.0, **hits: set[str]) -> Shape:
    return Shape(values={"pasted": pasted}, hits=hits, numbers=0, options=0, own=own)


def test_the_veto_needs_a_transformation():
    assert not transforms_supplied_material(_veto_shape("Translate this memo.", 0.9, material={"this memo"}))


def test_the_veto_reads_a_sentence_asking_to_transform_named_material():
    ask = "Translate this memo into German."
    t = {"translat*"}
    assert transforms_supplied_material(_veto_shape(ask, transform=t, material={"this memo"}))
    other = [f"Point {i} matters a lot for us." for i in range(10)]
    for i, read in [(0, True), (3, True), (4, False), (6, False), (7, True), (10, True)]:  # of 11 sentences
        own = " ".join(other[:i] + [ask] + other[i:])
        assert transforms_supplied_material(_veto_shape(own, transform=t, material={"this memo"})) == read, i
    # transformation and material in different sentences: no veto (nothing pasted)
    apart = "Translate into German, please. This memo is for Berlin."
    assert not transforms_supplied_material(_veto_shape(apart, transform=t, material={"this memo"}))
    assert not transforms_supplied_material(_veto_shape(ask, transform=t))  # no material among the hits


def test_the_veto_on_a_mostly_pasted_turn_weighs_tactical_against_judgement_cues():
    t = {"translat*"}
    own = "Please translate it for my team now."
    assert not transforms_supplied_material(_veto_shape(own, 0.19, transform=t))
    assert transforms_supplied_material(_veto_shape(own, PASTED_VETO, transform=t))
    assert transforms_supplied_material(_veto_shape(own, 0.9, transform=t, decide={"should"}))  # 1 >= 1
    assert not transforms_supplied_material(_veto_shape(own, 0.9, transform=t, decide={"should", "or"}))
    assert transforms_supplied_material(_veto_shape(own, 0.9, transform=t, limits={"keep"},
                                                    decide={"should", "or"}))
    assert not transforms_supplied_material(_veto_shape(own, 0.9, transform=t, weigh={"a"}, opinion={"b"}))


# ---------------------------------------------------------------------------- what counts as pasted

PROSE = ("The committee met on Tuesday and agreed that the budget for next year would rise by a small amount, while "
         "the hiring plan stays frozen until the review in spring is done and the numbers are in.")  # 37 words
FIRST_29, FIRST_30 = " ".join(PROSE.split()[:29]), " ".join(PROSE.split()[:30])


@pytest.mark.parametrize("text, own", [
    # fences, closed or not, ``` or ~~~; what follows a closed fence is the user's
    ("Fix this:\n```py\nx=1\n```\nthen tell me why", "Fix this:\n"),
    ("Fix ```x``` a b", "Fix \n\n a b"), ("Fix ```x```ab c", "Fix \n\nab c"),
    ("Open ~~~ never closed words here", "Open \n\n"),
    ("a ```x``` b ~~~y~~~ c ```z", "a \n\n b \n\n c \n\n"), ("a ~~~x``` b", "a \n\n b"),
    ("```x``` a b", "\n\n a b"), ("~~~x~~~ a", "\n\n a"), ("a ~~~x~~~ b ~~~y~~~ c", "a \n\n b \n\n c"),
    ("a ``````", "a \n\n"), ("a ```` b", "a \n\n"), ("a `````` b", "a \n\n b"),  # an empty block
    # quotations longer than four words
    ('He said "one two three four" ok', 'He said "one two three four" ok'),
    ('He said "one two three four five" ok', "He said  ok"),
    ("He said 'one two three four five' ok", "He said  ok"), ("'one two three four five' ok", " ok"),
    ("it's Bob's 'one two three four five' ok", "it's Bob's  ok"),
    ("it's Bob's and Ann's thing, one two three four five", "it's Bob's and Ann's thing, one two three four five"),
    ("«un deux trois quatre cinq» oui", " oui"), ("「一二三四五六七八九十」はい", "はい"), ("「一二三四」はい", "「一二三四」はい"),
    ("„eins zwei drei vier fünf“ ja", " ja"), ("“one two three four five” ok", " ok"), ("『一二三四五六七八九十』", ""),
    # > quote lines, separator blocks
    ("> quoted line\nmine", "mine"), ("Intro\n---\npasted one\npasted two\n---\nafter", "Intro\nafter"),
    ("Intro\n***\npasted\n***\nafter", "Intro\nafter"), ("Intro\n===\npasted\n___\nafter", "Intro\nafter"),
    ("Intro\n---\nnot closed\nstill mine", "Intro\nnot closed\nstill mine"),
    # data lines: code, logs, rows; a prose ask before a colon stays
    ("\tindented code\nmine", "mine"), ("    four spaces\nmine", "mine"), ("   three spaces\nmine", "   three spaces\nmine"),
    ("    - indented bullet\nmine", "    - indented bullet\nmine"), ("    • bullet\nmine", "    • bullet\nmine"),
    ("a,b,c,d\nmine", "mine"), ("a|b|c|d\nmine", "mine"), ("a;b;c;d\nmine", "mine"), ("a\tb\tc\td\nmine", "mine"),
    ("2026-01-01 boot ok\nmine", "mine"), ("ERROR disk full\nmine", "mine"), ("Traceback (most recent call last)\nmine", "mine"),
    ("Sort them: a,b,c,d,e\nmine", "Sort them\nmine"), ("x=1;y=2;z=3: a,b,c,d\nmine", "mine"),
    ("Sort these names: Zoe, Adam, Bob, Carl, Dan", "Sort these names: Zoe, Adam, Bob, Carl, Dan"),
    ("Sort: Zoe, Adam, Bob, Carl\nmine", "Sort\nmine"), ("Sort: a,b: c,d,e\nmine", "Sort\nmine"),
    ("Sort: a,b,c,d:e\nmine", "Sort\nmine"), ("x = f(a); y = g(b): a,b,c,d\nmine", "mine"),
    ("  > the committee weighed the evidence\nmine", "mine"),  # a quote line, indented or not ("Text: a: b\n\n" + PROSE, "Text"),
    # a label line keeps its label; a lead-in takes the paragraph after it, up to a short question back
    ("Text: hello\n\n" + PROSE + "\n\nok?", "Text\nok?"),
    ("Here is the email:\n\n" + PROSE + "\n\nIs this tone ok for my boss?", "Here is the email:\nIs this tone ok for my boss?"),
    ("Here is the email:\n" + PROSE + "\n" + PROSE + "\n\nIs this tone ok for my boss?\n\nAnd more text after.",
     "Here is the email:\nIs this tone ok for my boss?\n\nAnd more text after."),
    ("Here is the email:\n" + PROSE + "\n\n" + PROSE + "\n\nIs it ok?", "Here is the email:\nIs it ok?"),
    ("Here is the email:\n```\ncode\n```\nWhat now is the plan?", "Here is the email:\n\n\nWhat now is the plan?"),
    ("Background:\n" + PROSE, "Background:\n" + PROSE), ("My situation:\n" + PROSE, "My situation:\n" + PROSE),
    ("Here are my thoughts about the plan:\n" + PROSE, "Here are my thoughts about the plan:\n" + PROSE),
    ("Look at what they wrote:\n" + PROSE + "\n\nWhat do you think?", "Look at what they wrote:\nWhat do you think?"),
    ("Look at what they wrote:\n" + FIRST_29, "Look at what they wrote:\n" + FIRST_29),  # under 30 words: not a paste
    ("Look at what they wrote:\n" + FIRST_30, "Look at what they wrote:"),
    ("Look at what they wrote:\n- " + PROSE + "\n- " + PROSE, "Look at what they wrote:\n- " + PROSE + "\n- " + PROSE),
    ("Look at what they wrote:\n- " + PROSE + "\n" + PROSE + "\n" + PROSE, "Look at what they wrote:"),
    ("Look at what they wrote:\n1. " + PROSE + "\n2) " + PROSE + "\n" + PROSE,
     "Look at what they wrote:\n1. " + PROSE + "\n2) " + PROSE + "\n" + PROSE),
    # the ask first, naming its material, then the material
    ("Summarise this email for me.\n\n" + PROSE + "\n\nThanks!", "Summarise this email for me.\n"),
    ("Summarise this email for me.\n\n" + PROSE + "\n\nWhy is it so long?", "Summarise this email for me.\n\nWhy is it so long?"),
    ("I wrote this email.\n\n" + PROSE + "\n\nIs it too long?", "I wrote this email.\n\nIs it too long?"),
    ("I wrote this email.\n\n" + FIRST_29, "I wrote this email.\n\n" + FIRST_29),
    ("I wrote this email.\n\nIs it fine? " + PROSE, "I wrote this email.\n\nIs it fine? " + PROSE),
    ("Translate it please.\n\nShort bit? yes", "Translate it please.\n"),
])
def test_own_words_leave_out_what_was_pasted(text, own):
    assert own_text(text) == own


@pytest.mark.parametrize("line, data", [
    ("", False), ("x = f(a[1]) + g{2};", True), ("abcdefg(", True), ("abcdef(", False),  # 8 characters at least
    ("The (cost) is in euros/ok", True), ("The (cost) is in euros/ok!", False),  # 12% of code characters
    ("w,w,w,w", True), ("w, w, w, w", True), ("w, w w, w, w", True), ("w w, w w, w, w", False), ("a,b,c", False),
    ("a" * 114 + ",b,c,d", True), ("a" * 115 + ",b,c,d", False),  # a long line with three commas is prose
])
def test_a_data_line(line, data):
    assert _looks_like_data(line) == data
    assert own_text(f"{line}\nmine") == ("mine" if data else f"{line}\nmine")


def test_the_pasted_share_of_a_turn():
    assert pasted_share("", "") == 0.0 and pasted_share("   ", "") == 1.0
    assert pasted_share("abcd", "ab") == 0.5 and pasted_share("abcd", "abcdef") == 0.0
    assert pasted_share("  abcd  ", " ab ") == 0.5 and pasted_share("abc", "a") == 0.667
    text = "Here is the email:\n\n" + PROSE
    assert shape_of(text)[1].values["pasted"] == pasted_share(text, "Here is the email:") > 0.8


QUESTION_80 = " ".join(["word"] * 79) + " ok?"  # a question back of 80 words ends a paste; 81 do not


@pytest.mark.parametrize("text, own", [
    ("Here is the email:\n\n" + PROSE + "\n\n" + QUESTION_80, "Here is the email:\n" + QUESTION_80),
    ("Here is the email:\n\n" + PROSE + "\n\nword " + QUESTION_80, "Here is the email:"),
    ("以下の文章を訳して：\n" + "今日は天気がいいので公園に行きました。" * 3 + "\n\nこれでいい？", "以下の文章を訳して："),
    ("原文：今日は天気がいい\n\n" + PROSE, "原文：今日は天気がいい"),
    ("Here is the email：\n" + PROSE + "\n\nok؟", "Here is the email：\nok؟"),
    ("Here is the email:\n" + PROSE + "\n\nok？", "Here is the email:\nok？"),
    ("Notes:\n" + PROSE, "Notes:"), ("My notes:\n" + PROSE, "My notes:"),  # notes are material
    ("Context and more background:\n" + PROSE, "Context and more background:\n" + PROSE),  # own, at the end
    ("Dear team, here is the plan in short, please read it:\n" + PROSE,
     "Dear team, here is the plan in short, please read it:"),
    ("Translate this.\n\n" + PROSE + "\n\nIs it long? Really long?", "Translate this.\n\nIs it long? Really long?"),
    ("Translate this\nfor me\nnow\nplease\nok\nthanks\n\n" + PROSE, "Translate this\nfor me\nnow\nplease\nok\nthanks\n"),
    ("Translate this\nfor me\nnow\nplease\nok\nthanks\nbye\n\n" + PROSE,  # a first paragraph of 7 lines is no ask
     "Translate this\nfor me\nnow\nplease\nok\nthanks\nbye\n\n" + PROSE),
    ("\n\nTranslate this.\n\n" + PROSE, "\n\nTranslate this.\n\n" + PROSE),
    ("Translate this.\n\n\n\n" + PROSE, "Translate this.\n\n\n"), ("Translate this.\n\n", "Translate this.\n\n"),
    ("Please translate it.\n\n" + PROSE + "\n\nIs it ok?", "Please translate it.\n\nIs it ok?"),
    ("Can you check it.\n\n" + PROSE, "Can you check it.\n\n" + PROSE),  # neither material named nor a transformation
    ("Please now " + " ".join(["summarise this email"] * 26) + ".\n\n" + PROSE,  # an ask of 80 words at most
     "Please now " + " ".join(["summarise this email"] * 26) + ".\n"),
    ("Please now too " + " ".join(["summarise this email"] * 26) + ".\n\n" + PROSE,
     "Please now too " + " ".join(["summarise this email"] * 26) + ".\n\n" + PROSE),
])
def test_where_a_paste_ends(text, own):
    assert own_text(text) == own


LONG_PROSE = " ".join(["word"] * 90) + "."


@pytest.mark.parametrize("text, own", [
    ("Here is the email:\n\n" + PROSE + "\n\nIs it ok?\n\n" + LONG_PROSE, "Here is the email:\nIs it ok?\n\n" + LONG_PROSE),
    ("Here is the email:\n\n" + PROSE + "\n\nIs it ok?\n" + LONG_PROSE, "Here is the email:"),  # one paragraph of 92 words
    ("Here is the email:\n\n" + PROSE + "\n\n" + " ".join(["word"] * 40) + " -\n" + QUESTION_80.split(" ", 40)[40],
     "Here is the email:\n" + " ".join(["word"] * 40) + " -\n" + QUESTION_80.split(" ", 40)[40]),  # 80 words on two lines
    ("Hi.\n\nIs this ok?\nHere is the email:\n" + PROSE, "Hi.\n\nIs this ok?\nHere is the email:"),  # read from the paste on
    ("Here is the email:\n\nDid you get my last message?\n\nThanks", "Here is the email:"),  # its first paragraph is the paste
    ("Intro\n---\n---\nmine\n---\npasted\n---\nafter", "Intro\nmine\nafter"),
    ('He said "one two three four five" and “a” «b» „c“ 「d」 『e』', 'He said  and “a” «b» „c“ 「d」 『e』'),
    ('    "one two three four five"\nmine', "    \nmine"),
    ("Here is the email:", "Here is the email:"), ("Here is the email:\n\n", "Here is the email:"),
    ("Here is the email:\n---\n" + PROSE + "\n---\nIs it ok?", "Here is the email:"),  # one paragraph  # a quotation gone leaves its line, not a line of code
])
def test_where_a_paste_ends_on_paragraphs(text, own):
    assert own_text(text) == own


WORDS = PROSE.split()
LOOK = "Look at what they wrote:"  # a bare colon: what follows is pasted if it is long prose, not points


@pytest.mark.parametrize("text, pasted", [
    ("I wrote this email.\n\n" + " ".join(WORDS[:30]), True),  # the ask named its material; 30 words follow
    ("I wrote this email.\n\n" + " ".join(WORDS[:14]) + " -\n" + " ".join(WORDS[14:29]), False),  # 29 words
    ("Email background:\n" + PROSE, False), ("The email background:\n" + PROSE, False),  # own context, 3 words at most
    ("The email background here:\n" + PROSE, True),  # four words: the material it names decides
    ("My plan, in a nutshell:\n" + PROSE, True),  # the own cue is not in its last three words
    (LOOK + "\n" + "\n".join(WORDS[:18]) + "\n" + " ".join(WORDS[18:24]) + "\n" + " ".join(WORDS[24:30]), True),
    (LOOK + "\n" + "\n".join(WORDS[:20]) + "\n" + " ".join(WORDS[20:30]), False),  # 20 lines are read ahead
    (LOOK + "\n5X " + " ".join(WORDS[:20]) + "\n5X " + " ".join(WORDS[:20]), True),  # "5X" is no numbered point
    (LOOK + "\n" + " ".join(WORDS[:14]) + " -\n" + " ".join(WORDS[14:29]), False),  # 29 words
    (LOOK + "\n- " + PROSE + "\n" + PROSE, False),  # half of it points
])
def test_what_a_lead_in_introduces(text, pasted):
    first = text.split("\n\n")[0] if text.startswith("I wrote") else text.split("\n")[0]
    assert own_text(text) == (first + ("\n" if text.startswith("I wrote") else "") if pasted else text)


# ---------------------------------------------------------------------------- properties of own words

VOCAB = ("we", "should", "the", "team", "decide", "risk", "money", "why", "is", "it", "a", "plan", "my", "data",
         "email", "code", "this", "translate", "here", "notes", "or", "and", "not", "text", "list", "évidence", "计划")
PLAIN_LINE = st.tuples(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12), st.sampled_from(["", ".", "?", "!"]))


@settings(max_examples=100, deadline=None)
@given(st.lists(PLAIN_LINE, min_size=1, max_size=6))
def test_prose_with_nothing_pasted_is_all_own_words(lines):
    text = "\n".join(" ".join(words) + end for words, end in lines)
    assert own_text(text) == text
    assert count_words(own_text(text)) == count_words(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(PLAIN_LINE, min_size=1, max_size=3), st.text(st.characters(blacklist_characters="`~\r"), max_size=300),
       st.sampled_from(["```", "~~~", "```python"]))
def test_fenced_material_adds_no_own_words_whatever_it_says(lines, material, fence):
    ask = "\n".join(" ".join(words) + end for words, end in lines)
    fenced = f"{ask}\n{fence}\n{material}\n{fence[:3]}"
    assert count_words(own_text(fenced)) == count_words(own_text(ask)) == count_words(ask)
