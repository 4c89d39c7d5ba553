"""The DRACO format: one JSON object a line with ``id``, ``problem``, ``domain`` and ``answer``, the
rubric as a JSON *string*: ``{"sections": [{"id", "title", "criteria": [{"id", "weight",
"requirement"}]}]}``. A negative weight marks an error: meeting it costs points.

DRACO: https://huggingface.co/datasets/perplexity-ai/draco (arXiv:2602.11685).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusion_tool.core.errors import DracoError

#: where the benchmark and its rubrics are published: kept out of the panel's search and fetch
#: so that an answer cannot look its own rubric up (``--exclude-domain`` adds more,
#: ``--no-default-excludes`` drops these)
DEFAULT_EXCLUDED_DOMAINS: tuple[str, ...] = (
    "huggingface.co/datasets/perplexity-ai/draco",
    "hf.co/datasets/perplexity-ai/draco",
    "huggingface.co/datasets/maxkru92/draco",  # a public mirror
    "huggingface.co/papers/2602.11685",
    "arxiv.org/abs/2602.11685",
    "arxiv.org/pdf/2602.11685",
    "arxiv.org/html/2602.11685",
    "github.com/perplexity-ai/draco",
    "github.com/valyuAI/valyu-benchmarks",  # publishes DRACO runs with their rubrics
    "raw.githubusercontent.com/valyuAI/valyu-benchmarks",
)


@dataclass(frozen=True)
class Criterion:
    """One rubric item.

    Attributes:
        key: ``section/criterion``, unique within its task.
        weight: Points for meeting the requirement; negative: the requirement describes an
            error, and meeting it costs points.
        requirement: What a response must do (or, for a negative weight, must not).
        section: The title (else the id) of the rubric section it belongs to.
    """

    key: str
    weight: float
    requirement: str
    section: str = ""

    @property
    def is_error(self) -> bool:
        """A negative weight: the requirement describes an error, MET means it is present."""
        return self.weight < 0


@dataclass(frozen=True)
class Task:
    """One DRACO task: a research problem and its rubric.

    Attributes:
        id: The task's id in its file.
        problem: The question a configuration answers.
        domain: The task's field (the report's per-domain columns).
        criteria: The rubric, flattened over its sections.
    """

    id: str
    problem: str
    domain: str
    criteria: tuple[Criterion, ...]

    @property
    def fingerprint(self) -> str:
        """A short hash of the problem and rubric: a cached result belongs to this exact task."""
        data = json.dumps([self.problem, [(c.key, c.weight, c.requirement) for c in self.criteria]])
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def _weight(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DracoError(f"{where}: weight must be a finite number, got {value!r}")
    return float(value)


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DracoError(f"{where}: {key!r} must be a non-empty string")
    return value


def parse_rubric(answer: str | dict[str, Any], where: str = "answer") -> tuple[Criterion, ...]:
    """The criteria of a rubric (``answer`` as the JSON string DRACO ships, or already parsed)."""
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except json.JSONDecodeError as exc:
            raise DracoError(f"{where}: not a JSON rubric ({exc.msg})") from None
    sections = answer.get("sections") if isinstance(answer, dict) else None
    if not isinstance(sections, list) or not sections:
        raise DracoError(f"{where}: the rubric needs a non-empty 'sections' list")
    criteria: list[Criterion] = []
    for s, section in enumerate(sections):
        if not isinstance(section, dict) or not isinstance(section.get("criteria"), list):
            raise DracoError(f"{where}.sections[{s}]: needs a 'criteria' list")
        section_id = str(section.get("id", s))
        for c, item in enumerate(section["criteria"]):
            at = f"{where}.sections[{s}].criteria[{c}]"
            if not isinstance(item, dict):
                raise DracoError(f"{at}: must be an object")
            key = f"{section_id}/{item.get('id', c)}"
            criteria.append(Criterion(key, _weight(item.get("weight"), at), _text(item, "requirement", at),
                                      str(section.get("title") or section_id)))
    keys = [c.key for c in criteria]
    if len(set(keys)) != len(keys):
        raise DracoError(f"{where}: criterion ids repeat within a section")
    if not any(c.weight > 0 for c in criteria):
        raise DracoError(f"{where}: no criterion has a positive weight, so no score can be computed")
    return tuple(criteria)


def parse_task(obj: Any, where: str = "task") -> Task:
    if not isinstance(obj, dict):
        raise DracoError(f"{where}: must be a JSON object")
    if "answer" not in obj:
        raise DracoError(f"{where}: missing 'answer' (the rubric)")
    task_id = obj.get("id")
    if isinstance(task_id, bool) or not isinstance(task_id, (str, int)) or str(task_id).strip() == "":
        raise DracoError(f"{where}: 'id' must be a string or an integer")
    return Task(str(task_id), _text(obj, "problem", where), _text(obj, "domain", where),
                parse_rubric(obj["answer"], f"{where}.answer"))


def read(lines: Iterable[str], name: str = "<input>") -> list[Task]:
    tasks: list[Task] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DracoError(f"{where}: not JSON ({exc.msg})") from None
        task = parse_task(obj, where)
        if task.id in seen:
            raise DracoError(f"{where}: task id {task.id!r} repeats")
        seen.add(task.id)
        tasks.append(task)
    return tasks


def load(path: str | Path) -> list[Task]:
    """Every task of a DRACO-format JSONL file, in file order."""
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        return read(f, str(path))
