"""What is being compared: solo models (``--solo m1,m2``), fusion panels
(``--fusion "panel=a,b,c;judge=j"``) and presets (``--preset budget``).

A configuration's ``name`` is its whole definition, so it is also its key in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fusion_tool.core.config import PRESETS
from fusion_tool.core.errors import ConfigError


@dataclass(frozen=True)
class Configuration:
    """One thing an evaluation compares: a model alone, a fusion panel, or a preset.

    Attributes:
        kind: ``solo``, ``fusion`` or ``preset``.
        model: The model that answers alone (``solo``).
        panel: The panel's models (``fusion``).
        judge: The judge (``fusion``).
        preset: The preset's name (``preset``).
    """

    kind: str
    model: str | None = None
    panel: tuple[str, ...] = ()
    judge: str | None = None
    preset: str | None = None

    @property
    def name(self) -> str:
        if self.kind == "solo":
            return f"solo:{self.model}"
        if self.kind == "preset":
            return f"preset:{self.preset}"
        judge = f";judge={self.judge}" if self.judge else ""
        return f"fusion:panel={','.join(self.panel)}{judge}"

    @property
    def fused(self) -> bool:
        return self.kind != "solo"

    def plugin(self, *, excluded_domains: tuple[str, ...] = (), web: bool = True,
               max_completion_tokens: int | None = None) -> dict[str, Any]:
        """The fusion plugin entry that asks the pipeline for this configuration."""
        if not self.fused:
            raise ValueError("a solo model has no fusion plugin")
        entry: dict[str, Any] = {"id": "fusion"}
        if self.kind == "preset":
            entry["preset"] = self.preset
        else:
            entry["analysis_models"] = list(self.panel)
            if self.judge:
                entry["model"] = self.judge
        if excluded_domains:
            entry["excluded_domains"] = list(excluded_domains)
        if not web:
            entry["tools"] = []
        if max_completion_tokens is not None:
            entry["max_completion_tokens"] = max_completion_tokens
        return entry


def _models(text: str, what: str) -> tuple[str, ...]:
    models = tuple(m.strip() for m in text.split(",") if m.strip())
    if not models:
        raise ConfigError(what, "needs at least one model name")
    return models


def solo(text: str) -> list[Configuration]:
    """``m1,m2`` → one solo configuration per model."""
    return [Configuration("solo", model=m) for m in _models(text, "--solo")]


def fusion(text: str) -> Configuration:
    """``panel=a,b,c;judge=j`` (the judge is optional: the alias preset's judge answers)."""
    fields: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("panel", "judge") or key in fields:
            raise ConfigError("--fusion", f"expected 'panel=a,b,c;judge=j', got {text!r}")
        fields[key] = value.strip()
    if "panel" not in fields:
        raise ConfigError("--fusion", f"names no panel: {text!r}")
    panel = _models(fields["panel"], "--fusion")
    if len(panel) > 8:
        raise ConfigError("--fusion", "a panel has 1 to 8 models")
    return Configuration("fusion", panel=panel, judge=fields.get("judge") or None)


def preset(text: str) -> list[Configuration]:
    """``budget`` or ``budget,fast`` → one configuration per preset."""
    names = _models(text, "--preset")
    for name in names:
        if name not in PRESETS:
            raise ConfigError("--preset", f"unknown preset {name!r}; one of {sorted(PRESETS)}")
    return [Configuration("preset", preset=name) for name in names]
