"""The user's own words: a turn without the material pasted into it.

Removed: fenced code; quotations longer than ``QUOTE_MAX_WORDS`` words (in "", “”, «», „“,
「」, 『』); ``>`` quote lines; blocks between separator lines (``---``, ``***``, ``===``);
lines that look like code, logs or data (kept up to a colon when what precedes it is prose:
"Sort these names: Zoe, Adam, ..."); and blocks introduced by a lead-in, a line ending in a
colon that names material ("Here is the email:", "Texto:", "以下の文章を訳して：") or that is
followed by a long stretch of prose that is not bullet points, up to a short question back to
the assistant. A lead-in naming the user's own context ("Background:", "My situation:",
"Constraints:") introduces their own words, which count.
"""

from __future__ import annotations

import re

from fusion_tool.modes.gate.cues_asks import TRANSFORM
from fusion_tool.modes.gate.lexicon import Lexicon, prepare
from fusion_tool.modes.gate.words import count_words

QUOTE_MAX_WORDS = 4  # longer quotations are someone else's words
PASTE_MIN_WORDS, LEAD_IN_LOOKAHEAD = 30, 20  # prose this long in the 20 lines after a bare colon is pasted
RESUME_MAX_WORDS = 80  # a paragraph with a question mark, at most this long, ends a paste
CODE_SAMPLE = 1000  # characters of a line read to tell code from prose
REMOVED = "\x00"  # stands where a fence or a long quotation was, so that a lead-in before it is known to be spent

LEAD_IN = Lexicon({"transform": {lang: "|".join(kind[lang] for kind in TRANSFORM.values() if lang in kind)
                                 for lang in TRANSFORM["translate"]}, "material": {
    "en": "text|email|e-mail|mail|message|paragraph|passage|article|post|essay|letter|abstract|excerpt|transcript"
          "|document|doc|clause|code|snippet|function|script|query|sql|csv|json|yaml|xml|html|table|data|log|logs"
          "|lines|output|error|traceback|stack trace|diff|patch|notes|tweet|following|below|thread|chat|invoice"
          "|section|quote|draft|bio|notice|list|references|statement|export|review|comment*|report|paper|summary"
          "|schedule|minutes|agenda|announcement|newsletter|contract|readme|changelog",
    "es": "texto|correo|mensaje|parrafo|fragmento|articulo|carta|codigo|tabla|lista|siguiente|abajo|informe|nota"
          "|aviso|circular|comunicado",
    "pt": "texto|e-mail|mensagem|recado|paragrafo|trecho|artigo|carta|codigo|tabela|lista|seguinte|abaixo|relatorio",
    "fr": "texte|mail|courriel|message|paragraphe|passage|article|lettre|code|tableau|liste|suivant|suivante"
          "|ci-dessous|rapport|tribune",
    "de": "text|mail|nachricht|absatz|abschnitt|artikel|brief|code|tabelle|liste|folgende*|unten|bericht|kommentar",
    "it": "testo|mail|messaggio|paragrafo|articolo|lettera|codice|tabella|elenco|lista|seguente|sotto|relazione"
          "|comunicazione|avviso|circolare",
    "ru": "текст*|письм*|сообщени*|абзац*|стать*|код|таблиц*|список|следующ*|ниже|колонк*|заметк*",
    "hi": "टेक्स्ट|मैसेज|संदेश|पैराग्राफ|लेख|पत्र|कोड|लिस्ट|सूची|नीचे|नोटिस",
    "ar": "النص|نص|الرسالة|رسالة|الفقرة|فقرة|المقال|مقال|الكود|كود|جدول|قائمة|التالي|التالية|أدناه|الإعلان",
    "zh": "以下|下面|这段|这篇|这封|原文|文字|文章|邮件|代码|日志|报错|表格|内容|如下|聊天记录|群里|通知|清单|列表",
    "ja": "以下|下記|次の|文章|メール|記事|コード|ログ|表|内容|原文|お知らせ|予定表|一覧|リスト|メモ|議事録",
    "ko": "아래|다음|내용|글|문장|메일|코드|로그|표|원문|공지",
}, "this": {
    "en": "this|it|these|that|them|the following|below|above",
    "es": "esto|este|esta|estos|lo|la|los|siguiente|abajo",
    "pt": "isso|isto|esse|essa|este|esta|o|a|seguinte|abaixo",
    "fr": "ceci|cela|ca|ce|cet|cette|ces|le|la|les|suivant|suivante|ci-dessous",
    "de": "das|dies|diese|diesen|dieses|es|folgende*|unten",
    "it": "questo|questa|questi|lo|la|seguente|sotto",
    "ru": "это|этот|эту|эти|его|её|ее|следующ*|ниже",
    "hi": "यह|ये|इसे|इसको|इन्हें|नीचे",
    "ar": "هذا|هذه|هذي|التالي|أدناه",
    "zh": "这个|这些|这段|这篇|这封|它|下面|以下",
    "ja": "これ|この|それ|以下|下記|次の",
    "ko": "이거|이것|이 |이걸|아래|다음",
}, "own": {
    "en": "plan|proposal|context|background|situation|constraints|requirements|options|goals|question|questions"
          "|details|facts|symptoms|concerns|criteria|idea|ideas|strategy|thoughts|setup|numbers|profile|argument"
          "|thesis|story|problem|issue|case|dilemma",
    "es": "plan|contexto|situacion|opciones|objetivos|pregunta|preguntas|detalles|sintomas|problema|dudas",
    "pt": "plano|contexto|situacao|opcoes|objetivos|pergunta|perguntas|detalhes|sintomas|problema|duvidas",
    "fr": "plan|contexte|situation|contraintes|options|objectifs|question|questions|details|symptomes|probleme",
    "de": "plan|kontext|hintergrund|situation|lage|optionen|ziele|frage|fragen|details|symptome|problem",
    "it": "piano|contesto|situazione|opzioni|obiettivi|domanda|domande|dettagli|sintomi|problema",
    "ru": "план|контекст|ситуаци*|вариант*|цели|вопрос*|подробност*|симптом*|проблем*",
    "hi": "योजना|प्लान|स्थिति|विकल्प|सवाल|प्रश्न|समस्या",
    "ar": "خطة|الخطة|الوضع|وضعي|الخيارات|السؤال|سؤال|المشكلة|مشكلة",
    "zh": "背景|情况|计划|方案|问题|选项|需求|症状|目标",
    "ja": "背景|状況|計画|選択肢|質問|問題|条件|症状",
    "ko": "배경|상황|계획|선택지|질문|문제|조건|증상",
}})

QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»|„[^“”\n]*[“”]|「[^」\n]*」|『[^』\n]*』"
                    r"|'(?<!\w')[^'\n]+'(?!\w)")
LABEL_LINE = re.compile(r"^\s*(?:text|input|e-?mail|article|passage|transcript|code|data|abstract|content|excerpt"
                        r"|texto|texte|testo|текст|文本|原文|本文)\s*[:：]", re.I)
SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|={3,}|_{3,})\s*$")
DATA_LINE = re.compile(
    r"\s*(?:\d{4}[-/]\d\d[-/]\d\d|\d\d:\d\d:\d\d|\[\w+\]|npm ERR!|(?:ERROR|WARN|INFO|DEBUG|FATAL)\b"
    r"|Traceback|File \"|at \S+\(|def \w+\(|class \w+\s*[:(]|import [\w.]+(?: as \w+)?\s*$"
    r"|from [\w.]+ import |(?:function|func|fn)\s*\w*\s*\(|(?:const|let|var) \w+\s*=|#include"
    r"|[{}\[\]);]+\s*$|(?:if|for|while) ?\(|(?:select|SELECT) .* (?:from|FROM)\b|https?://\S+\s*$)")
CODE_CHARS = "{}[]()<>=;$#@\\|/*+`^~_"
SEPARATORS = ",;\t|"
BULLET = "-*•·"
_CODE_CHAR = re.compile("[" + re.escape(CODE_CHARS) + "]")
_QUESTION = ("?", "？", "؟")
_QUOTE_MARKS = ('"', "“", "«", "„", "「", "『")
_QUOTE_OPENS = re.compile(r"'(?<!\w')")  # \w: str.isalnum() or "_"; the quote first, so re looks for it alone


def own_text(text: str) -> str:
    """The user's own words: ``text`` without fenced code, quotes, pasted blocks and data lines."""
    if "```" in text or "~~~" in text:
        text = _strip_fences(text)
    if any(mark in text for mark in _QUOTE_MARKS) or _single_quote_opens(text):  # most turns quote nothing
        text = QUOTED.sub(lambda m: REMOVED if count_words(m.group()) > QUOTE_MAX_WORDS else m.group(), text)
    lines, kept, skip_to = text.split("\n"), [], 0  # for loops and bounded searches: no line is read twice
    paste_after = _ask_then_paste(lines)
    for i, line in enumerate(lines):
        if i < skip_to:
            continue
        if i == paste_after:  # the ask came first and named its material; what follows is the material
            skip_to = _paste_end(lines, i)
        elif SEPARATOR.match(line):  # a block set off by separator lines is pasted
            skip_to = next((j for j in range(i + 1, len(lines)) if SEPARATOR.match(lines[j])), i) + 1
        elif _is_lead_in(lines, i):
            kept.append(line.partition(":")[0] if LABEL_LINE.match(line) else line)
            skip_to = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), len(lines))
            if skip_to < len(lines) and not lines[skip_to].strip().startswith(REMOVED):
                skip_to = _paste_end(lines, skip_to)  # the paragraph after a lead-in is pasted
            # (a lead-in that introduced a quotation or a fence: it is already gone)
        elif line.lstrip().startswith(">"):
            pass
        elif not _looks_like_data(line):
            kept.append(line)
        elif ":" in line and not _looks_like_data(line.partition(":")[0]):
            kept.append(line.partition(":")[0])  # "Sort these names: Zoe, Adam, ..." keeps the ask
    return "\n".join(kept).replace(REMOVED, "")


def _strip_fences(text: str) -> str:
    """Each block from a ``` or ~~~ to the next one (or the end) goes (str.find: a lazy regex over a
    long fence costs a check per character, and so does a search for either mark)."""
    out, i = [], 0
    for _ in range(text.count("```") + text.count("~~~")):  # a block takes a mark or two: bounded
        start = _next_fence(text, i)
        if start is None:
            break
        end = _next_fence(text, start + 3)
        out.append(text[i:start] + f"\n{REMOVED}\n")
        if end is None:
            return "".join(out)
        i = end + 3
    return "".join(out) + text[i:]


def _next_fence(text: str, i: int) -> int | None:
    hits = [j for j in (text.find("```", i), text.find("~~~", i)) if j >= 0]
    return min(hits) if hits else None


def _single_quote_opens(text: str) -> bool:
    """Is there a ' not preceded by a letter, digit or underscore (where a quotation could open)?"""
    return _QUOTE_OPENS.search(text) is not None


def pasted_share(text: str, own: str) -> float:
    """How much of the turn, in characters, is not the user's own."""
    return 0.0 if not text else round(max(0.0, 1 - len(own.strip()) / len(text.strip() or " ")), 3)


def _looks_like_data(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped == REMOVED:
        return False
    indented = line[:1] == "\t" or line.startswith("    ")  # pasted code keeps its indentation
    if DATA_LINE.match(line) or indented and stripped[:1] not in BULLET:
        return True
    sample = stripped[:CODE_SAMPLE]  # a long line's start tells code from prose
    if len(sample) >= 8 and len(_CODE_CHAR.findall(sample)) >= 0.12 * len(sample):
        return True
    separators = sum(stripped.count(ch) for ch in SEPARATORS)
    if separators < 3 or len(stripped) > 40 * separators:  # prose with a few commas, not a row of data
        return False
    return count_words(stripped) < 2 * separators


def _is_lead_in(lines: list[str], i: int) -> bool:
    """Does line ``i`` introduce pasted material ("Here is the email:", "Text:")?"""
    stripped = lines[i].strip()
    if LABEL_LINE.match(stripped):
        return True
    if not stripped.endswith((":", "：")):
        return False
    found = LEAD_IN.match(prepare(stripped))
    if "own" in found and count_words(stripped) <= 3:
        return False  # "Background:", "My situation:", "Constraints:" introduce the user's own words
    if "material" in found:
        return True
    if "own" in found and "own" in LEAD_IN.match(prepare(" ".join(stripped.split()[-3:]))):
        return False
    block = [b.strip() for b in lines[i + 1:i + 1 + LEAD_IN_LOOKAHEAD] if b.strip()]  # bounded: O(n) overall
    bullets = sum(1 for b in block if b[:1] in BULLET or b[:2].rstrip(".)").isdigit())
    return count_words(" ".join(block)) >= PASTE_MIN_WORDS and bullets < len(block) / 2


def _ask_then_paste(lines: list[str]) -> int | None:
    """Where the material starts when a first short paragraph asks about it ("Summarise this email
    for me.\n\nDear parents, ...") and long prose follows; None otherwise."""
    end = next((j for j, line in enumerate(lines) if not line.strip() and j), None)
    if end is None or end > 6:
        return None
    first = " ".join(lines[:end])
    if count_words(first) > RESUME_MAX_WORDS:
        return None
    found = LEAD_IN.match(prepare(first))
    if "material" not in found and not {"transform", "this"} <= set(found):
        return None  # the ask names its material ("this email"), or asks to transform "this" / "it"
    start = next((j for j in range(end, len(lines)) if lines[j].strip()), None)
    if start is None or "transform" not in found and _resumes(lines, start):
        return None  # a question after the first paragraph is the user's, unless they asked for a transformation
    if "transform" in found:
        return start
    rest = [b for b in lines[start:start + LEAD_IN_LOOKAHEAD] if b.strip()]
    return start if count_words(" ".join(rest)) >= PASTE_MIN_WORDS else None


def _paste_end(lines: list[str], start: int) -> int:
    """Where the paste starting at line ``start`` ends: after its paragraph, at the next paragraph that is
    a short question back to the assistant (or the end)."""
    end = next((j for j in range(start, len(lines)) if not lines[j].strip()), len(lines))
    return next((j for j in range(end, len(lines)) if not lines[j - 1].strip() and _resumes(lines, j)), len(lines))


def _resumes(lines: list[str], start: int) -> bool:
    """Is the paragraph at ``start`` a short question back to the assistant (the paste has ended)?"""
    end = next((j for j in range(start, len(lines)) if not lines[j].strip()), None)  # None: to the last line
    paragraph = " ".join(lines[start:end]).strip()
    return any(q in paragraph for q in _QUESTION) and count_words(paragraph) <= RESUME_MAX_WORDS
