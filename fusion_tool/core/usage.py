"""Token and cost accounting over every inner call of a fused request."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from openai.types import CompletionUsage


@dataclass(frozen=True)
class Call:
    """One inner call: which stage, which model, what it cost, how long it took."""

    stage: str  # "panel" | "judge" | "writer" | "caller"
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0

    @classmethod
    def from_usage(cls, stage: str, model: str, usage: Any, seconds: float = 0.0) -> Call:
        """Read an SDK ``CompletionUsage`` (or ``None``) into a record."""
        if usage is None:
            return cls(stage, model, seconds=seconds)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        total = int(getattr(usage, "total_tokens", 0) or 0) or prompt + completion
        cost = getattr(usage, "cost", None)
        if cost is None and getattr(usage, "model_extra", None):
            cost = usage.model_extra.get("cost")
        return cls(stage, model, prompt, completion, total, float(cost or 0.0), seconds)


@dataclass
class Usage:
    """Every inner call of one fused request, and their sums."""

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
    def cost(self) -> float:
        return round(sum(c.cost for c in self.calls), 12)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost": self.cost,
            "calls": [asdict(c) for c in self.calls],
        }

    def to_openai(self) -> CompletionUsage:
        """The summed usage as the SDK's own type, ``cost`` included."""
        return CompletionUsage.model_validate(
            {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens,
                "cost": self.cost,
            }
        )
