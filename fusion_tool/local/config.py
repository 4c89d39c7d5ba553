"""The fusion configuration for a local llama.cpp server, and what that server needs declared.

A llama.cpp server (see :class:`~fusion_tool.local.server.LocalServer`) serves
SmolLM2-135M-Instruct, bundled by the ``[local]`` extra, or any GGUF; the panel is the same model
sitting three times (self-fusion: sampled at temperature 0.8, each seat writes its own answer),
the judge and writer are that model too, and there is no web.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fusion_tool.core.config import FusionConfig
from fusion_tool.local.model import DEFAULT_ALIAS
from fusion_tool.provider import dialect

SEATS = 3
#: per panelist answer and for the judge's analysis: three answers, the analysis and the
#: written answer in about 30 s of a 2-core CPU (prompt reading is ~150 tokens/s there)
MAX_TOKENS = 256
WRITER_MAX_TOKENS = 384  # the written answer (a request field: the writer answers the request)
TEMPERATURE = 0.8  # the panel's; the judge runs at 0
PANEL_TIMEOUT = 60.0
DEADLINE = 100.0  # the whole fused call, writer included: well under two minutes

def local_config(base_url: str, *, model: str = DEFAULT_ALIAS, seats: int = SEATS, **overrides: Any) -> FusionConfig:
    """A fusion config for a local server: ``seats`` panelists and the judge all ``model``, no
    web tools, capped answers, and timeouts that keep a run under two minutes on 2 cores.
    ``FUSION_*`` environment variables are not read (they name the remote provider)."""
    values: dict[str, Any] = {
        "base_url": base_url,
        "api_key": "local",
        "panel": (model,) * seats,
        "judge": model,
        "tools": (),
        "max_completion_tokens": MAX_TOKENS,
        "temperature": TEMPERATURE,
        "panel_timeout": PANEL_TIMEOUT,
        "deadline": DEADLINE,
        "max_retries": 1,
    }
    values.update(overrides)
    return FusionConfig(**values)


@contextlib.contextmanager
def declared_quirks(base_url: str) -> Iterator[None]:
    """Tell the provider layer, while the server runs, what llama-cpp-python's server takes (it
    ignores ``max_completion_tokens``), so that the very first calls are capped."""
    dialect.declare(base_url, token_limit="max_tokens")
    try:
        yield
    finally:
        dialect.forget(base_url)


