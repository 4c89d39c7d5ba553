"""The shape of a request, as numbers: which asks its own words make (cue families, in any of the
twelve languages, and two structures: "if ..., would ...", "A, B, or C?"), how much situation and
constraint they give, how open the ask is.

``shape(own, n_words, pasted, min_words)`` returns the features (each in [0, 1]) and the cues behind
them, for the model (``model.py``) and for the reasons it gives; ``transforms_supplied_material`` is
the tactical veto.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from fusion_tool.modes.gate import cues_asks as asks
from fusion_tool.modes.gate import cues_judgement as judgement
from fusion_tool.modes.gate import cues_situation as situation
from fusion_tool.modes.gate.lexicon import Lexicon, Prepared, prepare, words_of
from fusion_tool.modes.gate.words import count_words, has_dense

TACTICAL_FAMILIES = ("transform", "material", "lookup", "code_task", "chore", "limits")
PLAIN_FAMILIES = ("creative", "explain", "recipe", "roleplay", "chat")
JUDGEMENT_FAMILIES = ("decide", "diagnose", "hypothetical", "forecast", "evidence", "critique", "deliverable",
                      "multi_domain", "opinion", "weigh", "hypothetical_pair", "choice_question")
SITUATION = ("stakes", "numbers", "length", "questions", "options", "constraint", "self", "counts")
STRUCTURAL_JUDGEMENT = ("hypothetical_pair", "choice_question")  # found by structure, not by a cue list
CUE_FAMILIES = (TACTICAL_FAMILIES + PLAIN_FAMILIES + JUDGEMENT_FAMILIES[:-len(STRUCTURAL_JUDGEMENT)]
                + ("constraint", "options", "self", "counts"))
STAKE_DOMAINS = tuple(situation.STAKES)
#: what the model reads: the three asks as wholes (every cue of a kind weighs the same, so a cue
#: the train split happens to use rarely is not worth less), how many kinds of judgement are asked,
#: the share of the turn pasted, and the situation as it bears on a judgement asked (stakes, numbers,
#: length... matter once there is a judgement to make; alone they are any long story's details)
MODEL_FEATURES = ("tactical_ask", "plain_ask", "judgement_ask", "judgement_breadth", "pasted",
                  *(f"judgement*{name}" for name in SITUATION))
CAP = 3  # structural counts saturate at CAP (numbers at 6)
WINDOW = 1200  # characters read from each end of a long turn: the ask and its framing live there
PASTED_VETO = 0.2  # this share of the turn pasted counts as supplied material, named or not
VETO_SENTENCES = 4  # sentences read from each end of the turn for a transformation asked of named material
LENGTH_SPAN = 8  # own words from the floor to 8x the floor map onto length 0..1 (log scale)

TRANSFORM_KINDS = tuple(asks.TRANSFORM)
FAMILIES = {  # every cue list, by family (transform and stakes by kind)
    **{f"transform:{kind}": cues for kind, cues in asks.TRANSFORM.items()},
    "material": asks.MATERIAL, "lookup": asks.LOOKUP, "code_task": asks.CODE_TASK, "chore": asks.CHORE,
    "limits": asks.LIMITS, "creative": asks.CREATIVE, "explain": asks.EXPLAIN, "recipe": asks.RECIPE,
    "roleplay": asks.ROLEPLAY, "chat": asks.CHAT,
    "decide": judgement.DECIDE, "diagnose": judgement.DIAGNOSE, "hypothetical": judgement.HYPOTHETICAL,
    "forecast": judgement.FORECAST, "evidence": judgement.EVIDENCE, "critique": judgement.CRITIQUE,
    "deliverable": judgement.DELIVERABLE, "multi_domain": judgement.MULTI_DOMAIN, "opinion": judgement.OPINION,
    "weigh": judgement.WEIGH,
    "constraint": situation.CONSTRAINT, "options": situation.OPTIONS, "self": situation.SELF,
    "counts": situation.COUNTS,
    **{f"stakes:{domain}": cues for domain, cues in situation.STAKES.items()},
}
LEXICON = Lexicon(FAMILIES)
_VETO = Lexicon({"transform": {lang: "|".join(kind[lang] for kind in asks.TRANSFORM.values() if lang in kind)
                               for lang in asks.TRANSFORM["translate"]}, "material": asks.MATERIAL})
_PAIRS = tuple((frozenset(words_of(first.replace("|", " "))), frozenset(words_of(second.replace("|", " "))))
               for first, second in judgement.HYPOTHETICAL_PAIRS.values())
_DIGIT = re.compile(r"\d")
_MONEY_SIGNS = "$€£¥₹₩₽%"
_MONEY_WORDS = frozenset("usd eur gbp chf jpy inr rmb cny".split())
_QUESTION = re.compile(r"[?？؟]")
_BOUNDARY = re.compile(r"[.!?。！？؟]\s+|\n+")  # a sentence's end and the space after it
_OR = (" or ", " either ", " oder ", " ou ", " oppure ", " или ", " либо ", " या ", "还是", "或者", "それとも", "または",
       "아니면", "또는", " أو ", " أم ")
_OR_RX = re.compile("|".join(map(re.escape, _OR)))
_COLON = re.compile(r"[:：]")
_LIST_SEP = re.compile(r"[,;、，；]")
LIST_ITEM_MAX_WORDS = 8
OPTION_SENTENCES = 6
_OR_IDIOMS = ("more or less", "sooner or later", "one way or another", "or so", "or not", "mais ou menos",
              "mas o menos", "plus ou moins", "tot ou tard", "piu o meno", "mehr oder weniger", "fruher oder spater",
              "более или менее", "рано или поздно", "多多少少", "或多或少")
_NUMBERED = re.compile(r"\s*(?:\d[.)]|[a-cA-C][.)]|option\s+\w+\s*:|opci[oó]n\s+\w+\s*:)", re.I)


@dataclass(frozen=True)
class Shape:
    values: dict[str, float]  # feature -> [0, 1]
    hits: dict[str, set[str]]  # cue family (and stakes:<domain>) -> the cues that matched
    numbers: int  # numbers in the user's own words (digits, and spelled-out quantities)
    options: int  # alternatives laid out ("or", "option", list items)
    own: str  # the own words read (both ends of a long turn)


def _numbers(prepared: Prepared, own: str, counts: int) -> int:
    digits = sum(1 for w in prepared.words if not w.isalpha() and _DIGIT.search(w))
    return digits + counts + sum(own.count(sign) for sign in _MONEY_SIGNS) + len(_MONEY_WORDS & prepared.words)


def _options(own: str) -> tuple[int, bool]:
    """The alternatives laid out: "A, B, or C?" is 3 (items before the first "or" of a sentence, plus
    the one after), numbered lines ("1. ...", "Option B: ...") count one each; and whether a sentence
    with alternatives is a question ("Grandfather them, migrate them, or offer a discount?")."""
    best, asked = 0, False
    low = own.lower()
    if not any(w in low for w in _OR):
        return min(_numbered(own), 6), False
    for idiom in _OR_IDIOMS:
        low = low.replace(idiom, " ")
    sentences = _sentences(low)  # the alternatives asked about sit at the ends of a long turn: 6 from each
    for sentence in sentences[:OPTION_SENTENCES] + sentences[OPTION_SENTENCES:][-OPTION_SENTENCES:]:
        found = _OR_RX.search(sentence)
        cut = found.start() if found else 0
        if cut > 0:
            head = _COLON.split(sentence[:cut])[-1]  # a colon introduces the list
            items = [p for p in _LIST_SEP.split(head) if p.strip()]
            listed = 0  # the short items before "or", counted back from it: "A, B, or C" / "A, B or C"
            for item in reversed(items):
                if count_words(item) > LIST_ITEM_MAX_WORDS:
                    break
                listed += 1
            best = max(best, max(listed, 1) + 1)
            asked = asked or _QUESTION.search(sentence) is not None
    return min(max(best, _numbered(own)), 6), asked


def _sentences(text: str) -> list[str]:
    """``text`` cut after each ".", "!", "?" (and their CJK and Arabic forms) followed by a space, and at
    line breaks; a sentence keeps its end mark (a regex lookbehind would do the same, far slower)."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        out.append(text[start:m.start() + (text[m.start()] != "\n")])
        start = m.end()
    out.append(text[start:])
    return out


def _numbered(own: str) -> int:
    numbered = sum(1 for line in own.split("\n") if _NUMBERED.match(line))
    return numbered if numbered >= 2 else 0


def shape(own: str, n_words: int, pasted: float, min_words: int) -> Shape:
    """The features of the user's own words ``own`` (``n_words`` of them; ``pasted``: the share of
    the turn that was someone else's). A family's feature is 1 - 2^-(distinct cues matched)."""
    window = WINDOW // 2 if has_dense(own) else WINDOW  # a CJK character is half a word
    if len(own) > 2 * window:
        own = own[:window] + "\n...\n" + own[-window:]
    prepared = prepare(own)
    hits = LEXICON.match(prepared)
    kinds = [hits[f"transform:{kind}"] for kind in TRANSFORM_KINDS if f"transform:{kind}" in hits]
    if kinds:
        hits["transform"] = set().union(*kinds)
    values = {f: 1 - 0.5 ** len(hits.get(f, ())) for f in CUE_FAMILIES}  # 1 - 2^-(distinct cues)
    domains = [d for d in STAKE_DOMAINS if f"stakes:{d}" in hits]
    numbers = _numbers(prepared, own, len(hits.get("counts", ())))
    values["stakes"] = min(len(domains), CAP) / CAP
    values["numbers"] = min(numbers, 6) / 6
    values["questions"] = min(len(_QUESTION.findall(own)), CAP) / CAP
    values["length"] = min(1.0, math.log(max(n_words, min_words) / min_words) / math.log(LENGTH_SPAN))
    values["pasted"] = pasted
    values["hypothetical_pair"] = float(any(not prepared.words.isdisjoint(a) and not prepared.words.isdisjoint(b)
                                            for a, b in _PAIRS))
    options, asked = _options(own)
    values["choice_question"] = float(asked and options >= 3)  # "A, B, or C?" ("A or B?" is often yes-or-no)
    return Shape(derive(values), hits, numbers, options, own)


def transforms_supplied_material(shape: Shape) -> bool:
    """The tactical veto: the ask is a transformation (translate, rewrite, summarise, extract, format,
    proofread, fix) of material the user supplied. Either one sentence asks to transform named material
    ("Translate this memo into German", "这段帮我翻译成英文"), whatever the rest says about it; or much of
    the turn is pasted and its tactical cues are at least as many as its judgement cues (the judgement
    words describe the material)."""
    if "transform" not in shape.hits:
        return False
    if "material" in shape.hits:
        sentences = [s for s in _sentences(shape.own) if s.strip()]
        for sentence in sentences[:VETO_SENTENCES] + sentences[-VETO_SENTENCES:]:
            found = _VETO.match(prepare(sentence))
            if len(found) == 2:
                return True
    if shape.values["pasted"] < PASTED_VETO:
        return False
    tactical = sum(len(shape.hits.get(f, ())) for f in TACTICAL_FAMILIES)
    judgement = sum(len(shape.hits.get(f, ())) for f in JUDGEMENT_FAMILIES)
    return tactical >= judgement


def derive(values: dict[str, float]) -> dict[str, float]:
    """Add the model's features to the families' and the structure's values (in place)."""
    for group, families in (("tactical_ask", TACTICAL_FAMILIES), ("plain_ask", PLAIN_FAMILIES),
                            ("judgement_ask", JUDGEMENT_FAMILIES)):
        values[group] = 1 - math.prod(1 - values[f] for f in families)
    values["judgement_breadth"] = min(sum(1 for f in JUDGEMENT_FAMILIES if values[f]), CAP) / CAP
    for name in SITUATION:
        values[f"judgement*{name}"] = values["judgement_ask"] * values[name]
    return values
