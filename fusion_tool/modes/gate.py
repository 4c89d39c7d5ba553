"""The deliberation gate: should fusion (a costly multi-model panel) be offered on this turn?

The policy, applied to the LAST user turn only, in this order:

1. ``force=True`` always deliberates (reason ``"forced"``).
2. A transcript that ends with ``tool`` messages is the caller returning its own tool
   results, not a new question: no.
3. Hard floor: count the user's OWN words, after stripping pasted material (fenced code,
   ``>`` quotes, quotations longer than a few words, blocks introduced by a lead-in such as
   ``"Here is the email:"``, and lines that look like code, logs or data). Fewer than
   ``min_words`` own words is always no, whatever the words are.
4. Tactical requests are always no: the governing imperative (the first verb of the user's
   own words, or the verb after "can you"/"please") is rewrite, translate, fix, convert,
   summarise-this, ...; or the turn is a one-line lookup ("what is the capital of", "define").
5. Otherwise deliberation signals add up to a score in [0, 1] (strong: evidence surveys,
   stress-tests, disputed claims, forecasts; medium: comparisons, decisions, high-stakes
   domains, why/how research; small: several domains or questions, constraints, length).
   ``score >= threshold`` deliberates.

Signals are word lists ("|"-separated; a trailing ``*`` matches any ending) indexed once and
looked up per word: no model, no I/O, deterministic, about 100 µs for a long prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat
from typing import Any

DEFAULT_MIN_WORDS = 12  # one plain sentence is below it; a question plus context is above
DEFAULT_THRESHOLD = 0.5
QUOTE_MAX_WORDS = 4  # longer quotations are someone else's words
PASTE_MIN_WORDS, LEAD_IN_LOOKAHEAD = 40, 20  # prose this long in the 20 lines after a bare colon is pasted
LENGTH_BONUS_MAX, LENGTH_BONUS_SPAN = 0.15, 48  # full bonus at min_words + 48 own words
STAKES_WEIGHT, MULTI_DOMAIN_BONUS, CONSTRAINTS_BONUS = 0.25, 0.15, 0.15
WHY_HOW_WEIGHT, HORIZON_BONUS, QUESTIONS_BONUS = 0.2, 0.1, 0.1

SIGNALS: tuple[tuple[str, float, str], ...] = (  # (name, weight, terms)
    ("survey-evidence", 0.5, "literature|meta-analys*|meta analys*|systematic review*|state of the art"
     "|the evidence|empirical evidence|scientific evidence|clinical evidence|the research|empirical research"
     "|what does the science say|what do the data say|studies|trials|findings|according to|evidence say*"
     "|evidence show*|evidence suggest*|other companies|similar companies|case studies|evidencia*|estudios"
     "|studien|études|preuves"),
    ("stress-test", 0.5, "stress-test*|stress test*|red-team*|red team*|poke holes|critiqu*|critically assess*"
     "|critically evaluat*|weakest assumption*|weakest point*|weakest link*|devil's advocate|what could go wrong"
     "|what could kill|failure mode*|steelman*|steel-man*|gaps|evaluate our plan|evaluate my plan"
     "|evaluate this plan|evaluate the plan|evaluate our proposal|evaluate this proposal|evaluate our strategy"
     "|evaluate our design|evaluate this design|evaluate this argument|evaluate the argument"),
    ("disputed", 0.5, "is it true that|is it really true that|consensus|disagree*|dispute*|controvers*|debate*"
     "|conflict|conflicts|conflicting|competing explanations|competing theories|competing hypotheses"
     "|overstated|who is right|hold up|holds up|contradict*|which explanations|what explanations|myth|myths"
     "|placebo|pseudoscien*|actually work*|really work*|effective for|consenso|konsens"),
    ("uncertainty", 0.3, "uncertain*|how confident|how sure|how reliable|how strong is the evidence"),
    ("forecast", 0.45, "forecast*|predict*|scenario*|probabilit*|likely to happen|likely to evolve"
     "|likely to change|over the next|next few years|next five years|next ten years|next 5 years"
     "|next 10 years|next 20 years|next 30 years|next decade*|coming years|coming decade*|by 203*|by 204*"
     "|by 205*|through 203*|through 204*"),
    ("compare-and-contrast", 0.3, "compar*|contrast*|trade-off*|tradeoff*|trade off*|pros and cons"
     "|for and against|versus|vs|weigh|weighs|weighing|weighed|is better|be better|is the better|better than"
     "|which is best|which is the best|ventajas y desventajas|pros y contras|riesgos y beneficios"
     "|vor- und nachteile|avantages et inconvénients|prós e contras"),
    ("decision", 0.3, "should i|should we|should my|should our|would you recommend|do you recommend"
     "|would you choose|would you pick|would you lean|what would you recommend|what would you choose"
     "|what would you pick|what would you do|is it worth|worth it|torn between|decide|deciding|options"
     "|what's the best way|what is the best way|what's the best option|what is the best option"
     "|what's the best approach|the best choice|which option*|which would you|risks of|risks if|risk of|downside*"
     "|is it safe|is it wise|is it a good idea|debería*|deberia*|sollten wir|sollte ich|devrais-je"
     "|devrions-nous|dovrei|dovremmo|deveria*"),
)
HIGH_STAKES: tuple[tuple[str, str], ...] = (
    ("medical", "symptom*|diagnos*|treatment*|medication*|statin*|surgery|surgeon*|doctor*|physician*"
     "|pediatrician*|fever|cancer*|disease*|clinical|clinician*|patient*|blood pressure|mri|health|therap*"
     "|arthritis|side effects|vaccin*|heart attack|emergency room|pregnan*|genetic test*|bleeding|stroke|diabetes"
     "|prescri*|dosage|drug|drugs|anticoagula*|blood thinner*|fibrillation|infection*|injur*|depress*|chemo*"),
    ("legal", "law|laws|legal*|court|courts|lawsuit*|contract|contracts|liabilit*|liable|non-compete*"
     "|enforceab*|gdpr|hipaa|regulat*|complian*|landlord*|tenant|tenants|visa|immigration|h-1b|copyright*"
     "|patent*|attorney*|lawyer*"),
    ("financial", "invest*|mortgage*|loan|loans|401k|401 k|ira|roth|pension*|retir*|portfolio*|index fund*"
     "|etf|etfs|tax|taxes|taxation|equity|valuation*|runway|salary|salaries|savings|debt|debts|stock|stocks|bitcoin"
     "|insurance|insurer*|down payment|pricing"),
    ("security", "security|secure|vulnerab*|pentest*|exploit*|attacker*|threat model*|xss|csrf|sql injection"
     "|ransomware|breach*|password*|encryption|incident response|argon*|bcrypt"),
    ("architecture", "architecture*|infrastructure|microservice*|monolith*|kubernetes|migrat*|scalab*"
     "|latency|throughput|event sourcing|cqrs|broker*|kafka|multi-region|multi-tenant|caching|cache|cloud"
     "|on-prem*|data center*|datacenter*|data centre*|downtime|ledger|database*"),
)
HORIZON = "centur*|decade|decades|historian*|historically|long-term|long term|in the long run|bc|bce"
CONSTRAINTS = "constraint*|given|budget*|deadline*|team of|requirement*|considering|limited"
WHY_HOW = "|".join(f"{w} {v}" for w in ("why", "how") for v in "did does has have is are was were will would".split())
WHY_HOW_START = r"(?:why|how)\b(?! (?:do|can|should) i\b| to\b| (?:many|much|old|tall|far|long|often)\b)"

COURTESY = (r"^(?:(?:hi|hey|hello|ok|okay|so|now|then|also|and|please|pls|kindly|quick question|quickly"
            r"|can you|could you|would you|will you|can u|i need you to|i want you to|i'?d like you to"
            r"|i would like you to|help me|i need to|i want to|i'?d like to|go ahead and|just|first)\b[\s,!:;.-]*)+")
TACTICAL_VERBS = frozenset(
    "rewrite rephrase reword paraphrase translate fix correct format reformat convert extract summarise"
    " summarize tldr shorten condense sort alphabetize proofread spellcheck edit polish simplify tidy"
    " rename refactor add remove delete run rerun install bump commit push revert undo lint deploy restart"
    " rebuild transcribe transliterate capitalize lowercase uppercase dedupe count".split())
TACTICAL_PATTERNS: tuple[tuple[str, str], ...] = (
    ("make-this", r"^(?:make|turn|put) (?:this|it|that|these|them|my \w+|the (?:text|email|message|list|code"
     r"|paragraph|notes|data|sentence)) ?.{0,80}?\b(?:into|a|an|more|less|shorter|longer|sound|as|table|json"
     r"|list|bullets?|friendlier|formal|casual)\b"),
    ("write-code", r"^write (?:me )?(?:a|an|the|some)? ?(?:\w+ ){0,2}(?:function|script|regex|query|class"
     r"|method|unit tests?|tests?|docstrings?|commit message|one-liner|snippet|program)\b"),
    ("lookup", r"^(?:what(?:'s| is| are| was)) the (?:capital|population|currency|time|date|weather|height"
     r"|distance|exchange rate|plural|synonym|opposite|abbreviation|legal \w+ age|boiling point)\b"),
    ("lookup", r"^(?:what time|how (?:many|much|old|tall|far)\b|define\b|definition of|spell\b|how do you"
     r" (?:spell|pronounce|say)\b|what does .{1,60}\b(?:mean|stand for)\b|who (?:wrote|invented|won|was)\b"
     r"|when (?:is|was|did)\b|where is\b)"),
    ("fix", r"\b(?:bug|typos?|error) in (?:this|the|my) (?:\w+ )?(?:code|snippet|function|script|query|program"
     r"|file|test|loop|regex|config|sentence|text|paragraph|email|spreadsheet|formula)\b"),
)
NOT_TACTICAL = (r"^(?:(?:summari[sz]e|condense) (?:the )?(?:evidence|literature|research|studies|state|debate"
                r"|consensus|arguments|findings|current|what)|correct me|sort of|run (?:me )?through|count on)")
DEICTIC = r"\b(?:this|it|that|these|the above|above|them)\b"

MATERIAL = (r"\b(?:text|e-?mail|message|paragraph|passage|article|post|essay|letter|abstract|excerpt"
            r"|transcript|document|doc|clause|code|snippet|function|script|query|sql|csv|json|yaml|xml|html"
            r"|table|data|logs?|lines|output|error|traceback|stack ?trace|diff|patch|notes|tweet|following|below)\b")
OWN_CONTEXT = (r"\b(?:plan|proposal|context|background|situation|constraints|requirements|options|goals"
               r"|questions?|details|facts|symptoms|concerns|criteria|ideas?|strategy|thoughts|setup"
               r"|numbers|profile|argument|thesis)\b")
LABEL_LINE = r"^\s*(?:text|input|e-?mail|article|passage|transcript|code|data|abstract|content|excerpt)\s*:"
FENCE = r"(?:```|~~~).*?(?:```|~~~|\Z)"
QUOTED = r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»|'(?<!\w')[^'\n]+'(?!\w)"  # literal first: fast
DATA_LINE = (r"\s*(?:\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|\[\w+\]|npm ERR!|(?:ERROR|WARN|INFO|DEBUG|FATAL)\b"
             r"|Traceback|File \"|at \S+\(|def \w+\(|class \w+\s*[:(]|import [\w.]+(?: as \w+)?\s*$"
             r"|from [\w.]+ import |(?:function|func|fn)\s*\w*\s*\(|(?:const|let|var) \w+\s*=|#include"
             r"|[{}\[\]);]+\s*$|(?:if|for|while) ?\(|(?:select|SELECT) .* (?:from|FROM)\b|https?://\S+\s*$)")
CODE_CHARS = "{}[]()<>=;$#@\\|/*+`^~_"
SEPARATORS = ",;\t|"


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _index(groups: dict[str, str]) -> tuple[dict, dict, dict]:
    """Index the "|"-lists once, so that a prompt costs a few dict lookups per distinct word."""
    exact: dict[str, set[str]] = {}
    stems: dict[str, list[tuple[str, str]]] = {}  # by their first three letters
    phrases: dict[str, list[tuple[str, str]]] = {}  # by their first word
    for group, spec in groups.items():
        for term in spec.split("|"):
            if " " in term:  # keyed by its first word, then checked as a substring
                needle = f" {term[:-1]}" if term.endswith("*") else f" {term} "
                phrases.setdefault(term.split(" ", 1)[0], []).append((needle, group))
            elif term.endswith("*"):
                if len(term) <= 3:
                    raise ValueError(f"stem too short to index: {term!r}")
                stems.setdefault(term[:3], []).append((term[:-1], group))
            else:
                exact.setdefault(term, set()).add(group)
    return exact, stems, phrases


_EXACT, _STEMS, _PHRASES = _index({name: spec for name, _, spec in SIGNALS}
                                  | {f"high-stakes ({name})": spec for name, spec in HIGH_STAKES}
                                  | {"horizon": HORIZON, "constraints": CONSTRAINTS, "why-how": WHY_HOW})
_WHY_HOW_START = _rx(WHY_HOW_START, 0)
_COURTESY, _NOT_TACTICAL, _DEICTIC = _rx(COURTESY), _rx(NOT_TACTICAL), _rx(DEICTIC)
_TACTICAL = tuple((name, _rx(p)) for name, p in TACTICAL_PATTERNS)
_ASKED_VERB = _rx(r"\b(?:(?:can|could|would|will) you|please)\s+(?:please\s+|kindly\s+|just\s+)?([a-z]+)")
_MATERIAL, _OWN_CONTEXT, _LABEL_LINE = _rx(MATERIAL), _rx(OWN_CONTEXT), _rx(LABEL_LINE)
_FENCE, _QUOTED, _DATA_LINE = _rx(FENCE, re.S), _rx(QUOTED), _rx(DATA_LINE, 0)
_SENTENCE_END, _PARAGRAPH = re.compile(r"[.!?:\n]"), re.compile(r"\n\s*\n")
_NON_WORD_TOKEN = re.compile(r"(?<!\S)(?:[^\w\s]|_)+(?!\S)")  # a token with no letter or digit
# Tokenising with str methods, not regexes: a regex pass over a long prompt costs tens of µs.
_ASCII_NON_WORD = "".join(c for c in map(chr, range(128)) if not c.isalnum() and not c.isspace())
_PUNCT = _ASCII_NON_WORD.replace("'", "").replace("-", "") + "“”«»—–…"
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in _PUNCT} | {"’": "'"})
_DROP_CODE_CHARS = str.maketrans("", "", CODE_CHARS)


@dataclass(frozen=True)
class Decision:
    deliberate: bool
    score: float  # 0..1, higher = more in need of deliberation; 0.0 when a veto decided
    reasons: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"deliberate": self.deliberate, "score": self.score, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class GateConfig:
    min_words: int = DEFAULT_MIN_WORDS  # the hard floor on the user's own words
    threshold: float = DEFAULT_THRESHOLD


def count_words(text: str) -> int:
    """Whitespace-separated tokens that contain at least one letter or digit."""
    if text.isascii():  # fast path, same result: a token stripped of non-word ASCII is alphanumeric
        return sum(map(bool, map(str.strip, text.split(), repeat(_ASCII_NON_WORD))))
    return len(text.split()) - len(_NON_WORD_TOKEN.findall(text))


def _looks_like_data(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    indented = line[:1] == "\t" or line.startswith("    ")  # pasted code keeps its indentation
    if _DATA_LINE.match(line) or indented and stripped[:1] not in "-*•":
        return True
    if len(stripped) >= 8 and len(stripped) - len(stripped.translate(_DROP_CODE_CHARS)) >= 0.12 * len(stripped):
        return True
    separators = sum(stripped.count(ch) for ch in SEPARATORS)
    return separators >= 3 and count_words(stripped) < 2 * separators


def _is_lead_in(lines: list[str], i: int) -> bool:
    """Does line ``i`` introduce pasted material ("Here is the email:", "Text:")?"""
    stripped = lines[i].strip()
    if _LABEL_LINE.match(stripped):
        return True
    if not stripped.endswith(":") or count_words(stripped) <= 3 and _OWN_CONTEXT.search(stripped):
        return False  # "Background:", "My situation:", "Constraints:" introduce the user's own words
    if _MATERIAL.search(stripped):
        return True
    if _OWN_CONTEXT.search(" ".join(stripped.split()[-3:])):
        return False
    block = [b.strip() for b in lines[i + 1:i + 1 + LEAD_IN_LOOKAHEAD] if b.strip()]  # bounded: O(n) overall
    bullets = sum(1 for b in block if b[:1] in "-*•" or b[:2].rstrip(".").isdigit())
    return count_words(" ".join(block)) >= PASTE_MIN_WORDS and bullets < len(block) / 2


def own_text(text: str) -> str:
    """The user's own words: ``text`` without fenced code, quotes, pasted blocks and data lines."""
    text = _FENCE.sub("", text)
    text = _QUOTED.sub(lambda m: "" if count_words(m.group()) > QUOTE_MAX_WORDS else m.group(), text)
    lines, kept, i = text.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        if _is_lead_in(lines, i):  # skip the block, up to a short question back to the assistant
            kept.append(line.split(":", 1)[0] if _LABEL_LINE.match(line.strip()) else line)
            i += 1
            while i < len(lines) and (lines[i - 1].strip() or not _resumes(lines, i)):
                i += 1
            continue
        if line.lstrip().startswith(">"):
            pass
        elif not _looks_like_data(line):
            kept.append(line)
        elif ":" in line and not _looks_like_data(line.split(":", 1)[0]):
            kept.append(line.split(":", 1)[0])  # "Sort these names: Zoe, Adam, ..." keeps the ask
        i += 1
    return "\n".join(kept)


def _resumes(lines: list[str], start: int) -> bool:
    """Is the paragraph at ``start`` a short question back to the assistant (the paste has ended)?"""
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    paragraph = " ".join(lines[start:end]).strip()
    return paragraph.endswith("?") and count_words(paragraph) <= 60


def _tactical(own: str) -> str | None:
    """``"tactical: <verb>"`` if the request's governing imperative is a tactical one."""
    paragraphs = [p for p in _PARAGRAPH.split(own.strip()) if p.strip()]
    candidates = [_SENTENCE_END.split(own.strip(), maxsplit=1)[0]]
    if len(paragraphs) > 1 and count_words(paragraphs[-1]) <= 30 and _DEICTIC.search(paragraphs[-1]):
        candidates.append(_SENTENCE_END.split(paragraphs[-1].strip(), maxsplit=1)[0])  # paste, then ask
    for sentence in candidates:
        low = sentence.lower()
        head = _COURTESY.sub("", low.strip()).lstrip(" ,;:-")
        verb = re.split(r"[^a-z-]", head, maxsplit=1)[0]
        if verb in TACTICAL_VERBS and not _NOT_TACTICAL.match(head):
            return f"tactical: {verb}"
        for name, pattern in _TACTICAL:
            if pattern.search(head) if name == "fix" else pattern.match(head):
                return f"tactical: {name}"
        asked = _ASKED_VERB.search(low) if "you" in low or "please" in low else None
        if asked and asked.group(1) in TACTICAL_VERBS and not _NOT_TACTICAL.match(low[asked.start(1):]):
            return f"tactical: {asked.group(1)}"
    return None


def _groups_in(norm: str, tokens: set[str]) -> set[str]:
    """The word-list groups (signal names, high-stakes domains, ...) present in ``norm``."""
    found: set[str] = set()
    for token in tokens:
        if token in _EXACT:
            found |= _EXACT[token]
        for stem, group in _STEMS.get(token[:3], ()):
            if token.startswith(stem):
                found.add(group)
        for needle, group in _PHRASES.get(token, ()):
            if needle in norm:
                found.add(group)
    return found


def _signals(own: str, n_words: int, min_words: int) -> tuple[float, list[str]]:
    low = own.lower().replace("’", "'")
    norm = f" {' '.join(low.translate(_PUNCT_TO_SPACE).split())} "
    tokens = set(norm.split())
    found = _groups_in(norm, tokens)
    score, reasons = 0.0, []
    for name, weight, _ in SIGNALS:
        if name in found:
            score += weight
            reasons.append(f"signal: {name}")
    numbers = min(2, sum(1 for token in tokens if token[:1].isdigit()))
    if "decision" in found and ("constraints" in found) + numbers >= 2:
        score += CONSTRAINTS_BONUS
        reasons.append("signal: decision with constraints")
    domains = [f"high-stakes ({name})" for name, _ in HIGH_STAKES if f"high-stakes ({name})" in found]
    if domains:
        score += STAKES_WEIGHT + MULTI_DOMAIN_BONUS * (len(domains) > 1)
        reasons += [f"signal: {d}" for d in domains] + ["signal: spans several domains"] * (len(domains) > 1)
    if "why-how" in found or any(_WHY_HOW_START.match(line.lstrip()) for line in low.split("\n")):
        score += WHY_HOW_WEIGHT + HORIZON_BONUS * ("horizon" in found)
        reasons.append("signal: why/how research" + (" over a long horizon" if "horizon" in found else ""))
    if low.count("?") >= 2:
        score += QUESTIONS_BONUS
        reasons.append("signal: several questions")
    score += LENGTH_BONUS_MAX * min(1.0, max(0, n_words - min_words) / LENGTH_BONUS_SPAN)
    return round(min(1.0, score), 3), reasons


def _content_text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = (_field(part, "text") for part in content if _field(part, "type") in ("text", "input_text"))
    return "\n".join(text for text in texts if isinstance(text, str))


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def should_deliberate(messages: list[dict] | str, *, config: GateConfig | None = None,
                      force: bool = False) -> Decision:
    """Decide whether fusion should be offered on the last user turn of ``messages``."""
    config = config or GateConfig()
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    if messages and _field(messages[-1], "role") in ("tool", "function") and not force:
        return Decision(False, 0.0, ("turn is tool results only",))
    users = [m for m in messages if _field(m, "role") == "user"]
    if not users:
        return Decision(bool(force), 0.0, ("forced",) if force else ("no user turn",))
    own = own_text(_content_text(_field(users[-1], "content")))
    n_words = count_words(own)
    tactical = None if force or n_words < config.min_words else _tactical(own)
    if tactical:
        return Decision(False, 0.0, (tactical,))
    score, signals = _signals(own, n_words, config.min_words)
    if force:
        return Decision(True, score, ("forced", f"own words: {n_words}", *signals))
    if n_words < config.min_words:
        return Decision(False, 0.0, (f"short: {n_words} words < {config.min_words}", *signals))
    verdict = "deliberate" if score >= config.threshold else "below threshold"
    return Decision(score >= config.threshold, score,
                    (f"own words: {n_words}", *signals, f"{verdict}: {score} vs {config.threshold}"))
