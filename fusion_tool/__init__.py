"""fusion-tool: OpenRouter Fusion, the open way, on any OpenAI-compatible provider.

A panel of models answers in parallel, a judge extracts consensus, contradictions, partial
coverage, unique insights and blind spots, and one grounded answer is written from them.

    from fusion_tool import wrap_openai, fuse, should_deliberate, FusionConfig

Names are resolved on first use (PEP 562): ``import fusion_tool`` costs almost nothing, and a
user who only calls ``should_deliberate`` never imports the OpenAI SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: each public name and the module that defines it
_EXPORTS = {
    "ALIASES": "fusion_tool.core.config",
    "PRESETS": "fusion_tool.core.config",
    "FusionConfig": "fusion_tool.core.config",
    "ConfigError": "fusion_tool.core.errors",
    "FusionError": "fusion_tool.core.errors",
    "FusionFailed": "fusion_tool.core.errors",
    "UpstreamError": "fusion_tool.core.errors",
    "Event": "fusion_tool.core.events",
    "Call": "fusion_tool.core.usage",
    "Usage": "fusion_tool.core.usage",
    "Decision": "fusion_tool.modes.gate",
    "GateConfig": "fusion_tool.modes.gate",
    "should_deliberate": "fusion_tool.modes.gate",
    "Estimate": "fusion_tool.pipeline.estimate",
    "estimate": "fusion_tool.pipeline.estimate",
    "FusionResult": "fusion_tool.pipeline.fuse",
    "fuse": "fusion_tool.pipeline.fuse",
    "wrap_openai": "fusion_tool.sdk.wrapper",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fusion_tool' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from fusion_tool.core.config import ALIASES, PRESETS, FusionConfig  # noqa: F401
    from fusion_tool.core.errors import ConfigError, FusionError, FusionFailed, UpstreamError  # noqa: F401
    from fusion_tool.core.events import Event  # noqa: F401
    from fusion_tool.core.usage import Call, Usage  # noqa: F401
    from fusion_tool.modes.gate import Decision, GateConfig, should_deliberate  # noqa: F401
    from fusion_tool.pipeline.estimate import Estimate, estimate  # noqa: F401
    from fusion_tool.pipeline.fuse import FusionResult, fuse  # noqa: F401
    from fusion_tool.sdk.wrapper import wrap_openai  # noqa: F401
