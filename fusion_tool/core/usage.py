"""Token and cost accounting over every inner call of a fused request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openai.types import CompletionUsage


def total_cost(costs: Iterable[float | None]) -> float | None:
    """The sum of ``costs``, or None when any of them is unknown: an unknown cost is not free."""
    total = 0.0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return round(total, 12)


@dataclass(frozen=True)
class Call:
    """One inner call: which stage, which model, what it cost, how long it took.

    Attributes:
        stage: What the call was for: ``panel``, ``judge``, ``writer`` or ``caller`` (tool mode's
            calling model); ``solo`` and ``grader`` in an evaluation.
        model: The model the call went to.
        prompt_tokens: Tokens in, as the provider reported them (0 when it reported none).
        completion_tokens: Tokens out, likewise.
        total_tokens: Their sum, as reported (else computed).
        cost: Dollars, as the provider reported them (OpenRouter's ``usage.cost``); None when it
            reported no cost, which is unknown, not free.
        seconds: Wall time of the call, retries included.
    """

    stage: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The call as a JSON object (``dataclasses.asdict``'s result, without its deep copy)."""
        return {"stage": self.stage, "model": self.model, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "total_tokens": self.total_tokens,
                "cost": self.cost, "seconds": self.seconds}

    @classmethod
    def from_usage(cls, stage: str, model: str, usage: Any, seconds: float = 0.0) -> Call:
        """Read a provider's ``usage`` (its JSON object, an SDK ``CompletionUsage``, or ``None``)
        into a record; OpenRouter's ``cost`` is read where the provider reports it."""
        if usage is None:
            return cls(stage, model, seconds=seconds)
        prompt = int(_field(usage, "prompt_tokens") or 0)
        completion = int(_field(usage, "completion_tokens") or 0)
        total = int(_field(usage, "total_tokens") or 0) or prompt + completion
        cost = _field(usage, "cost")
        return cls(stage, model, prompt, completion, total, None if cost is None else float(cost), seconds)


def _field(usage: Any, name: str) -> Any:
    if isinstance(usage, Mapping):
        return usage.get(name)
    value = getattr(usage, name, None)  # an SDK model: its fields, else the extras it was sent
    return value if value is not None else (getattr(usage, "model_extra", None) or {}).get(name)


@dataclass
class Usage:
    """Every inner call of one fused request, and their sums.

    The token sums count what was reported. :attr:`cost` is the sum of the calls' costs when
    every call's cost is known, else None (unknown, not free): one call without a reported cost
    makes the whole unknown, since a partial sum would read as the price of the request.

    Attributes:
        calls: Every inner call of the request.
    """

    calls: list[Call] = field(default_factory=list)

    def add(self, call: Call) -> None:
        self.calls.append(call)

    def extend(self, other: Usage) -> None:
        self.calls.extend(other.calls)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def total_tokens(self) -> int:
        return sum(c.total_tokens for c in self.calls)

    @property
    def cost(self) -> float | None:
        """Dollars over every call; None when any call's cost is unknown."""
        return total_cost(c.cost for c in self.calls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost": self.cost,
            "calls": [c.to_dict() for c in self.calls],
        }

    def wire(self) -> dict[str, Any]:
        """The summed usage as a completion's ``usage`` on the wire, ``cost`` included: a number
        when known, else ``None`` (``null``), so that ``usage.cost`` always reads and never reads 0."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost": self.cost,
        }

    def to_openai(self) -> CompletionUsage:
        """:meth:`wire` as the SDK's own type."""
        return CompletionUsage.model_validate(self.wire())
