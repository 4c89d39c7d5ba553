"""``fusion-tool ask --local`` and ``serve --local``: fusion offline, on a real small model.

A llama.cpp server (see :class:`LocalServer`) serves SmolLM2-135M-Instruct, bundled by the
``[local]`` extra, or any GGUF given as ``--local-model``; the panel is the same model sitting
three times (self-fusion: sampled at temperature 0.8, each seat writes its own answer), the
judge and writer are that model too, and there is no web. The run is the normal ``ask`` path.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..config import FusionConfig
from ..errors import FusionError
from .model import DEFAULT_ALIAS, LocalUnavailable
from .server import LocalServer, LocalServerError

SEATS = 3
#: per panelist answer and for the judge's analysis: three answers, the analysis and the
#: written answer in about 30 s of a 2-core CPU (prompt reading is ~150 tokens/s there)
MAX_TOKENS = 256
WRITER_MAX_TOKENS = 384  # the written answer (a request field: the writer answers the request)
TEMPERATURE = 0.8  # the panel's; the judge runs at 0
PANEL_TIMEOUT = 60.0
DEADLINE = 100.0  # the whole fused call, writer included: well under two minutes

WEAK_MODEL = (
    "fusion-tool --local: offline, on SmolLM2-135M-Instruct (135 million parameters) served by "
    "llama.cpp on this machine. A model this small gives weak, often wrong answers: this shows how "
    "fusion works, not how good it is. For real answers set FUSION_API_KEY (or OPENROUTER_API_KEY), "
    "or FUSION_BASE_URL for your own server."
)
WEAK_OWN_MODEL = (
    "fusion-tool --local: offline, on {model} served by llama.cpp on this machine; no web search. "
    "For a real panel set FUSION_API_KEY (or OPENROUTER_API_KEY), or FUSION_BASE_URL."
)
LABEL = "LOCAL: {alias} on llama.cpp, offline, no web"


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
    from .. import dialect

    dialect.declare(base_url, token_limit="max_tokens")
    try:
        yield
    finally:
        dialect.forget(base_url)


def _note(model_path: str | Path | None) -> str:
    return WEAK_MODEL if model_path is None else WEAK_OWN_MODEL.format(model=Path(model_path).name)


def _with_server(model_path: str | Path | None, body: Callable[[LocalServer], int], ready: str = "") -> int:
    """Start the local server, run ``body`` with it, stop it; failures become exit statuses:
    1 fusion or the server failed, 2 the ``[local]`` extra is missing. Ctrl-C propagates as
    ``KeyboardInterrupt`` once the server is stopped."""
    print(_note(model_path), file=sys.stderr, flush=True)
    try:
        with LocalServer(model_path) as server:
            print(f"local model {server.alias} ready at {server.base_url} "
                  f"(llama.cpp pid {server.pid}, {server.startup_seconds:.1f} s){ready.format(alias=server.alias)}",
                  file=sys.stderr, flush=True)
            with declared_quirks(server.base_url):
                return body(server)
    except LocalUnavailable as exc:
        print(f"fusion-tool: {exc}", file=sys.stderr)
        return 2
    except LocalServerError as exc:
        print(f"fusion-tool: the local model server failed: {exc}", file=sys.stderr)
        return 1
    except FusionError as exc:  # e.g. the writer's call failed for good
        print(f"fusion-tool: the local model failed: {exc}", file=sys.stderr)
        return 1


def run_local(question: str, *, model_path: str | Path | None = None, as_json: bool = False) -> int:
    """Answer ``question`` with a fused panel of the local model; print as ``fusion-tool ask`` does."""
    from ..cli import _ask

    def ask(server: LocalServer) -> int:
        config = local_config(server.base_url, model=server.alias)
        label = LABEL.format(alias=server.alias)
        params = {"max_completion_tokens": WRITER_MAX_TOKENS}
        return asyncio.run(_ask(question, config, as_json=as_json, label=label, params=params))

    return _with_server(model_path, ask)


def serve_local(
    host: str = "127.0.0.1", port: int = 8000, *, model_path: str | Path | None = None, **options: Any
) -> int:
    """``fusion-tool serve --local``: the fusion proxy in front of a local llama.cpp server.

    ``options`` go to :func:`fusion_tool.proxy.serve` (``max_inflight``, ``graceful_seconds``,
    ``log_level``, ``token``); one worker only, since the config is an object.
    """
    from ..proxy import serve

    options.pop("workers", None)

    def run(server: LocalServer) -> int:
        serve(host, port, config=local_config(server.base_url, model=server.alias), **options)
        return 0

    return _with_server(model_path, run, "; ask the proxy for model openrouter/fusion, or {alias} directly")
