"""Configuration: presets, the model aliases, environment variables and request parameters.

Precedence, lowest first: the preset, the environment (``FUSION_*``), then what a request
names (``plugins`` / tool ``parameters``). Each environment variable ``FUSION_X`` has the
field ``x`` on :class:`FusionConfig`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fusion_tool.core import schemas
from fusion_tool.core.errors import ConfigError

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_MAX_TOOL_CALLS = 4
DEFAULT_PANEL_TIMEOUT = 300.0
DEFAULT_DEADLINE = 900.0


@dataclass(frozen=True)
class Preset:
    panel: tuple[str, ...]
    judge: str


PRESETS: dict[str, Preset] = {
    "quality": Preset(
        panel=("~anthropic/claude-opus-latest", "~openai/gpt-latest", "~google/gemini-pro-latest"),
        judge="~anthropic/claude-opus-latest",
    ),
    "budget": Preset(
        panel=("~google/gemini-flash-latest", "moonshotai/kimi-k2.6", "deepseek/deepseek-v4-pro"),
        judge="~google/gemini-flash-latest",
    ),
    "fast": Preset(
        panel=("~google/gemini-flash-latest", "~openai/gpt-mini-latest", "~anthropic/claude-haiku-latest"),
        judge="~google/gemini-flash-latest",
    ),
}

#: model aliases and the preset each one stands for
ALIASES: dict[str, str] = {"openrouter/fusion": "quality", "openrouter/fusion-flash": "fast"}


@dataclass(frozen=True)
class FusionConfig:
    """Everything one fused call needs to know. Immutable; derive with :meth:`replace`."""

    panel: tuple[str, ...] = ()  # analysis_models; empty: the preset's
    judge: str | None = None  # None: the calling model (tool mode) or the preset's judge
    preset: str = "quality"
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS
    max_completion_tokens: int | None = None
    temperature: float | None = None  # panel only; the judge runs at 0
    tools: tuple[dict[str, Any], ...] | None = None  # panelists' tools; None: web tools on; (): off
    excluded_domains: tuple[str, ...] = ()
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    search: str | None = None  # search provider, see fusion_tool.pipeline.research
    panel_timeout: float = DEFAULT_PANEL_TIMEOUT  # seconds one panelist may take
    straggler_grace: float | None = None  # seconds to wait for the rest once > half answered
    deadline: float = DEFAULT_DEADLINE  # seconds for the whole fused call
    max_retries: int = 2  # per inner call, for 408/409/429/5xx and connection errors
    min_words: int | None = None  # the gate's floor on the user's own words; None: its default
    force: bool = False  # tool mode: offer fusion whatever the gate says

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError("preset", f"unknown preset {self.preset!r}; one of {sorted(PRESETS)}")
        if not 1 <= len(self.panel or PRESETS[self.preset].panel) <= 8:
            raise ConfigError("panel", "a panel has 1 to 8 models")
        for name in ("panel_timeout", "deadline"):
            if getattr(self, name) <= 0:
                raise ConfigError(name, "must be a positive number of seconds")
        if self.straggler_grace is not None and self.straggler_grace < 0:
            raise ConfigError("straggler_grace", "must be zero or more seconds")

    replace = replace

    @property
    def panel_models(self) -> tuple[str, ...]:
        return self.panel or PRESETS[self.preset].panel

    def judge_model(self, calling_model: str | None = None) -> str:
        return self.judge or calling_model or PRESETS[self.preset].judge

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FusionConfig:
        """Read ``FUSION_*`` (and ``OPENROUTER_API_KEY``) from the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if v := env.get("FUSION_BASE_URL"):
            values["base_url"] = v
        if v := env.get("FUSION_API_KEY") or env.get("OPENROUTER_API_KEY"):
            values["api_key"] = v
        if v := env.get("FUSION_PANEL"):
            values["panel"] = _model_list(v, "FUSION_PANEL")
        if v := env.get("FUSION_JUDGE"):
            values["judge"] = v.strip()
        if v := env.get("FUSION_SEARCH"):
            values["search"] = v.strip()
        if v := env.get("FUSION_PANEL_TIMEOUT"):
            values["panel_timeout"] = _seconds(v, "FUSION_PANEL_TIMEOUT")
        if v := env.get("FUSION_STRAGGLER_GRACE"):
            values["straggler_grace"] = _seconds(v, "FUSION_STRAGGLER_GRACE", allow_zero=True)
        values.update(overrides)
        return cls(**values)

    def with_params(self, params: Mapping[str, Any] | None, *, field_name: str = "parameters") -> FusionConfig:
        """Apply tool ``parameters`` or a plugin entry, validated against ``schemas/``.

        Raises :class:`ConfigError` naming the field (``field_name`` is its path in the request).
        """
        if not params:
            return self
        kind = "plugin" if "id" in params else "parameters"
        schemas.check(dict(params), "fusion_config", kind, field=field_name)
        changes: dict[str, Any] = {}
        if "preset" in params:
            changes.update(preset=params["preset"], panel=(), judge=None)
        if "analysis_models" in params:
            changes["panel"] = tuple(params["analysis_models"])
        if "model" in params:
            changes["judge"] = params["model"]
        for key in ("max_tool_calls", "max_completion_tokens", "temperature"):
            if key in params:
                changes[key] = params[key]
        if "tools" in params:
            changes["tools"] = tuple(params["tools"])
        if "excluded_domains" in params:
            changes["excluded_domains"] = tuple(params["excluded_domains"])
        return replace(self, **changes)


def _model_list(value: str, name: str) -> tuple[str, ...]:
    models = tuple(m.strip() for m in value.split(",") if m.strip())
    if not 1 <= len(models) <= 8:
        raise ConfigError(name, "a comma-separated list of 1 to 8 model names")
    return models


def _seconds(value: str, name: str, *, allow_zero: bool = False) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(name, f"not a number of seconds: {value!r}") from None
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(name, f"must be a positive number of seconds, got {value!r}")
    return seconds
