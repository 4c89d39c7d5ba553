"""fusion-tool: OpenRouter Fusion, the open way, on any OpenAI-compatible provider.

A panel of models answers in parallel, a judge extracts consensus, contradictions, partial
coverage, unique insights and blind spots, and one grounded answer is written from them.

    from fusion_tool import wrap_openai, fuse, should_deliberate, FusionConfig
"""

from fusion_tool.core.config import ALIASES, PRESETS, FusionConfig
from fusion_tool.core.errors import ConfigError, FusionError, UpstreamError
from fusion_tool.core.events import Event
from fusion_tool.core.usage import Call, Usage
from fusion_tool.modes.gate import Decision, GateConfig, should_deliberate
from fusion_tool.pipeline.fuse import FusionResult, fuse
from fusion_tool.sdk.wrapper import wrap_openai

__version__ = "0.1.0"

__all__ = [
    "ALIASES",
    "PRESETS",
    "Call",
    "ConfigError",
    "Decision",
    "Event",
    "FusionConfig",
    "FusionError",
    "FusionResult",
    "GateConfig",
    "UpstreamError",
    "Usage",
    "fuse",
    "should_deliberate",
    "wrap_openai",
]
