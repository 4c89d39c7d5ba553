"""fusion-tool: OpenRouter Fusion, the open way, on any OpenAI-compatible provider.

A panel of models answers in parallel, a judge extracts consensus, contradictions, partial
coverage, unique insights and blind spots, and one grounded answer is written from them.

    from fusion_tool import wrap_openai, fuse, should_deliberate, FusionConfig
"""

from .config import ALIASES, PRESETS, FusionConfig
from .errors import ConfigError, FusionError, UpstreamError
from .events import Event
from .gate import Decision, GateConfig, should_deliberate
from .pipeline import FusionResult, fuse
from .usage import Call, Usage
from .wrapper import wrap_openai

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
