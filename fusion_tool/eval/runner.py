"""Answering and grading: every task × configuration is answered once (solo: one plain chat
completion; fusion: the pipeline in alias mode, ``model="openrouter/fusion"`` with the
configuration as its plugin) and each answer is graded criterion by criterion, ``repeats`` times.
Finished work goes to the cache as it finishes, and work the cache already holds is not redone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import openai

from fusion_tool.core import chat
from fusion_tool.core.config import FusionConfig
from fusion_tool.core.errors import UpstreamError
from fusion_tool.core.usage import total_cost
from fusion_tool.eval import cache as caching
from fusion_tool.eval.configs import Configuration
from fusion_tool.eval.draco import Task
from fusion_tool.eval.grade import Grader
from fusion_tool.eval.score import repeated_score
from fusion_tool.modes.plan import plan
from fusion_tool.modes.serve import serve
from fusion_tool.provider.upstream import Upstream

ALIAS = "openrouter/fusion"


@dataclass(frozen=True)
class Settings:
    """How an evaluation runs, the same for every configuration.

    Attributes:
        grader: The model that grades each criterion.
        repeats: Gradings per criterion (more than one: the grader samples, and scores average).
        excluded_domains: Domains kept out of the panels' search and fetch.
        web: Whether fusion panels have the web tools (solo models answer without tools).
        max_completion_tokens: The cap on each answering call's completion; None: the provider's.
        concurrency: Answers in flight at once.
        grade_concurrency: Grading calls in flight at once.
    """

    grader: str
    repeats: int = 1
    excluded_domains: tuple[str, ...] = ()
    web: bool = True
    max_completion_tokens: int | None = None
    concurrency: int = 4
    grade_concurrency: int = 8

    @property
    def setup(self) -> str:
        """What shapes an answer besides the configuration: a cached answer must match it."""
        return caching.digest(sorted(self.excluded_domains), self.web, self.max_completion_tokens)


@dataclass
class Outcome:
    """One task answered by one configuration, and its gradings.

    Attributes:
        task: The task.
        config: The configuration that answers it.
        repeats: Gradings per criterion (as in :class:`Settings`).
        answer: The answer's cache record (``text``, ``cost``, ``tokens``, ``seconds``...); None: not yet.
        verdicts: The verdicts' cache records, by (criterion key, repeat).
        error: Why the task did not finish, if it did not.
    """

    task: Task
    config: Configuration
    repeats: int
    answer: dict[str, Any] | None = None
    verdicts: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.answer is not None and len(self.verdicts) == len(self.task.criteria) * self.repeats

    @property
    def score(self) -> float | None:
        if not self.complete:
            return None
        weights = [c.weight for c in self.task.criteria]
        gradings = [[bool(self.verdicts[(c.key, r)]["met"]) for c in self.task.criteria]
                    for r in range(1, self.repeats + 1)]
        return repeated_score(weights, gradings)

    @property
    def grading_cost(self) -> float | None:
        """Dollars over the gradings; None when any grading's cost is unknown."""
        return total_cost(v.get("cost") for v in self.verdicts.values())


class Progress:
    """What the runner tells a progress display (the CLI's rich bar): no-ops by default."""

    def start(self, total: int, done: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def failed(self, outcome: Outcome) -> None: ...


class Runner:
    def __init__(self, client: openai.AsyncOpenAI, base: FusionConfig, settings: Settings,
                 cache: caching.Cache, progress: Progress | None = None) -> None:
        self.base = base
        self.settings = settings
        self.cache = cache
        self.progress = progress or Progress()
        self.upstream = Upstream.for_config(base, client)
        # one grading: temperature 0, reproducible; repeats: the provider's default, so they can differ
        self.grader = Grader(Upstream.for_config(base, client), settings.grader,
                             temperature=0 if settings.repeats == 1 else None)
        self._answering = asyncio.Semaphore(settings.concurrency)
        self._grading = asyncio.Semaphore(settings.grade_concurrency)

    # -- what is cached ------------------------------------------------------------------------

    def _cached(self, task: Task, config: Configuration) -> Outcome:
        outcome = Outcome(task, config, self.settings.repeats)
        outcome.answer = self.cache.get(caching.answer_key(task.id, config.name),
                                        task_hash=task.fingerprint, setup=self.settings.setup)
        self._cached_verdicts(outcome)
        return outcome

    def _cached_verdicts(self, outcome: Outcome) -> None:
        """The verdicts on record for this very answer text (an answer made again may match)."""
        if outcome.answer is None:
            return
        task, config = outcome.task, outcome.config
        for criterion in task.criteria:
            for repeat in range(1, self.settings.repeats + 1):
                found = self.cache.get(self._verdict_key(task, config, criterion.key, repeat),
                                       task_hash=task.fingerprint, answer_hash=outcome.answer["answer_hash"])
                if found is not None:
                    outcome.verdicts[(criterion.key, repeat)] = found

    def _verdict_key(self, task: Task, config: Configuration, criterion: str, repeat: int) -> tuple[str, ...]:
        return caching.verdict_key(task.id, config.name, criterion, repeat, self.settings.grader)

    # -- the run -------------------------------------------------------------------------------

    async def run(self, tasks: Sequence[Task], configs: Sequence[Configuration]) -> list[Outcome]:
        """Every task × configuration, answered and graded (from the cache where it can)."""
        outcomes = [self._cached(t, c) for t in tasks for c in configs]
        total = sum(1 + len(o.task.criteria) * o.repeats for o in outcomes)
        done = sum((o.answer is not None) + len(o.verdicts) for o in outcomes)
        self.progress.start(total, done)
        await asyncio.gather(*(self._complete(o) for o in outcomes if not o.complete))
        return outcomes

    async def _complete(self, outcome: Outcome) -> None:
        try:
            if outcome.answer is None:
                async with self._answering:
                    outcome.answer = await self._answer(outcome.task, outcome.config)
                self.cache.add(outcome.answer)
                self._cached_verdicts(outcome)
                self.progress.advance(1 + len(outcome.verdicts))
            results = await asyncio.gather(
                *(self._grade(outcome, c, r) for c in outcome.task.criteria
                  for r in range(1, outcome.repeats + 1) if (c.key, r) not in outcome.verdicts),
                return_exceptions=True)  # every grading that can finish does, and is kept
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
        except Exception as exc:  # one unit's failure is reported, never the run's end
            outcome.error = _describe(exc)
            self.progress.failed(outcome)

    async def _answer(self, task: Task, config: Configuration) -> dict[str, Any]:
        started = time.monotonic()
        messages = [{"role": "user", "content": task.problem}]
        extra: dict[str, Any] = {}
        if config.fused:
            plugin = config.plugin(excluded_domains=self.settings.excluded_domains, web=self.settings.web,
                                   max_completion_tokens=self.settings.max_completion_tokens)
            completion = await serve(plan({"model": ALIAS, "messages": messages, "plugins": [plugin]}, self.base),
                                     self.upstream)
            record = completion["fusion"]
            if record.get("status") != "ok":
                raise UpstreamError(f"fusion failed: {record.get('error')} ({record.get('failure_reason')})")
            extra = {"calls": len(record.get("calls") or []), "failed_models": record.get("failed_models") or []}
            usage = completion.get("usage")
            cost, tokens = (usage.get("cost"), usage.get("total_tokens") or 0) if usage else (None, 0)
        else:
            params: dict[str, Any] = {}
            if self.settings.max_completion_tokens is not None:
                params["max_completion_tokens"] = self.settings.max_completion_tokens
            completion, call = await self.upstream.complete(
                "solo", model=config.model, messages=messages, timeout=self.base.panel_timeout, **params)
            cost, tokens, extra = call.cost, call.total_tokens, {"calls": 1}
        text = chat.content(completion)
        if not (text or "").strip():
            raise UpstreamError("empty answer", model=config.model)
        return {"type": "answer", "task": task.id, "task_hash": task.fingerprint, "config": config.name,
                "setup": self.settings.setup, "text": text, "answer_hash": caching.digest(text),
                "cost": cost, "tokens": tokens, "seconds": round(time.monotonic() - started, 3), **extra,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    async def _grade(self, outcome: Outcome, criterion: Any, repeat: int) -> None:
        assert outcome.answer is not None
        async with self._grading:
            verdict = await self.grader.grade(outcome.task, criterion, outcome.answer["text"])
        if verdict.met is None:
            raise UpstreamError(verdict.error or "no verdict", model=self.settings.grader)
        record = {"type": "verdict", "task": outcome.task.id, "task_hash": outcome.task.fingerprint,
                  "config": outcome.config.name, "criterion": criterion.key, "repeat": repeat,
                  "grader": self.settings.grader, "answer_hash": outcome.answer["answer_hash"],
                  "met": verdict.met, "justification": verdict.justification, "cost": verdict.cost,
                  "tokens": verdict.tokens, "seconds": round(verdict.seconds, 3)}
        self.cache.add(record)
        outcome.verdicts[(criterion.key, repeat)] = record
        self.progress.advance()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        return f"{exc.model + ': ' if exc.model else ''}{exc}"
    return f"{type(exc).__name__}: {exc}"

