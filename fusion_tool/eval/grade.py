"""Grading: one call per criterion, answered as a JSON verdict ``{"verdict": "MET" | "UNMET",
"justification": "..."}``. The answer reaches the grader fenced (untrusted data, never
instructions). For a negative-weight criterion the requirement describes an error, and MET
means the error is present.

Structured output is asked for as ``json_schema``, then ``json_object``, then the prompt alone,
stepping down when the provider refuses; an unreadable verdict gets one repair round.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from fusion_tool.core import chat
from fusion_tool.core.usage import total_cost
from fusion_tool.eval.draco import Criterion, Task
from fusion_tool.pipeline.fence import fence
from fusion_tool.provider.upstream import Upstream

SYSTEM = """\
You grade one response against one rubric criterion, strictly and literally. Read the \
response and decide whether it satisfies the criterion. Judge only what the response says, not \
what it might have meant. Return only a JSON object: {{"verdict": "MET" or "UNMET", \
"justification": "one or two sentences"}}.
{note}"""

POSITIVE = "The criterion is a requirement: MET means the response satisfies it."
NEGATIVE = ("The criterion describes an ERROR (a penalty): MET means the response contains this "
            "error, UNMET means it does not.")

USER = """\
Question the response answers:
{problem}

Criterion ({kind}):
{requirement}

Response:
{response}"""

REPAIR = ('Your previous output was not a valid verdict ({problem}). Return only '
          '{"verdict": "MET" or "UNMET", "justification": "..."}.')

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["MET", "UNMET"]},
        "justification": {"type": "string"},
    },
    "required": ["verdict", "justification"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Verdict:
    """The grader's verdict on one criterion.

    Attributes:
        met: Whether the response meets the criterion (for a negative weight: shows the error);
            None: no usable verdict (see ``error``).
        justification: The grader's reason, in a sentence or two.
        error: Why there is no verdict, when ``met`` is None.
        cost: Dollars over the grader's calls (a repair round included); None: unknown.
        tokens: Tokens over the grader's calls.
        seconds: Wall time of the grading.
    """

    met: bool | None
    justification: str = ""
    error: str | None = None
    cost: float | None = 0.0
    tokens: int = 0
    seconds: float = 0.0


def messages(task: Task, criterion: Criterion, response: str) -> list[dict[str, str]]:
    fenced = fence(response, kind="RESPONSE")
    kind = "an error; negative weight" if criterion.is_error else "a requirement"
    note = (NEGATIVE if criterion.is_error else POSITIVE) + "\n" + fenced.note
    return [
        {"role": "system", "content": SYSTEM.format(note=note)},
        {"role": "user", "content": USER.format(problem=task.problem, kind=kind,
                                                requirement=criterion.requirement, response=fenced.text)},
    ]


_CODE_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_WORD = re.compile(r"\b(UNMET|NOT[ _]MET|MET)\b", re.IGNORECASE)


def parse(text: str | None) -> tuple[bool | None, str, str | None]:
    """``(met, justification, None)`` from a grader's output, or ``(None, "", what is wrong)``."""
    if not text or not text.strip():
        return None, "", "empty output"
    body = _CODE_FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start >= 0 and end > start:
        try:
            value = json.loads(body[start : end + 1])
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            verdict = str(value.get("verdict", "")).strip().upper().replace(" ", "_")
            why = str(value.get("justification") or "")
            if verdict in ("MET", "UNMET", "NOT_MET"):
                return verdict == "MET", why, None
            return None, "", f"verdict {value.get('verdict')!r} is neither MET nor UNMET"
    match = _WORD.search(body)  # a bare word, as small models sometimes answer
    if match:
        return match.group(1).upper() == "MET", body[:500], None
    return None, "", "no verdict found"


class Grader:
    """Grades criteria with ``model``, remembering which structured-output mode the provider takes."""

    def __init__(self, upstream: Upstream, model: str, *, temperature: float | None = 0,
                 max_completion_tokens: int | None = None) -> None:
        """``temperature=None`` leaves the provider's default (repeated gradings then differ)."""
        self.upstream = upstream
        self.model = model
        self.mode: str | None = None
        self._extra: dict[str, Any] = {} if temperature is None else {"temperature": temperature}
        if max_completion_tokens is not None:
            self._extra["max_completion_tokens"] = max_completion_tokens

    async def grade(self, task: Task, criterion: Criterion, response: str) -> Verdict:
        """One verdict; raises :class:`UpstreamError` when the provider cannot answer."""
        started = time.monotonic()
        cost: float | None = 0.0
        tokens = 0
        convo = messages(task, criterion, response)
        problem = "no verdict"
        for _ in range(2):  # the question, then one repair round
            text, call = await self._ask(convo)
            cost, tokens = total_cost((cost, call.cost)), tokens + call.total_tokens
            met, why, problem = parse(text)
            if met is not None:
                return Verdict(met, why, cost=cost, tokens=tokens, seconds=time.monotonic() - started)
            convo = [*convo, {"role": "assistant", "content": text or ""},
                     {"role": "user", "content": REPAIR.replace("{problem}", problem or "")}]
        return Verdict(None, error=f"unreadable verdict: {problem}", cost=cost, tokens=tokens,
                       seconds=time.monotonic() - started)

    async def _ask(self, convo: list[dict[str, str]]) -> tuple[str | None, Any]:
        completion, call, self.mode = await self.upstream.complete_structured(
            "grader", schema=VERDICT_SCHEMA, schema_name="verdict", model=self.model, messages=convo, **self._extra)
        text = chat.content(completion)
        return text, call
