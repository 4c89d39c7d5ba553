"""``fusion-tool ask --local`` and ``serve --local``: fusion offline, on a real small model.

A llama.cpp server (see :class:`LocalServer`) serves SmolLM2-135M-Instruct, bundled by the
``[local]`` extra, or any GGUF given as ``--local-model``; the panel is the same model sitting
three times (self-fusion: sampled at temperature 0.8, each seat writes its own answer), the
judge and writer are that model too, and there is no web. The run is the normal ``ask`` path.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fusion_tool.core.errors import FusionError, LocalServerError, LocalUnavailable
from fusion_tool.local.config import WRITER_MAX_TOKENS, declared_quirks, local_config
from fusion_tool.local.server import LocalServer

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
    from fusion_tool.cli.ask import ask

    def answer(server: LocalServer) -> int:
        config = local_config(server.base_url, model=server.alias)
        label = LABEL.format(alias=server.alias)
        params = {"max_completion_tokens": WRITER_MAX_TOKENS}
        return asyncio.run(ask(question, config, as_json=as_json, label=label, params=params))

    return _with_server(model_path, answer)


def serve_local(
    host: str = "127.0.0.1", port: int = 8000, *, model_path: str | Path | None = None, **options: Any
) -> int:
    """``fusion-tool serve --local``: the fusion proxy in front of a local llama.cpp server.

    ``options`` go to :func:`fusion_tool.proxy.serve` (``max_inflight``, ``graceful_seconds``,
    ``log_level``, ``token``); one worker only, since the config is an object.
    """
    from fusion_tool.proxy import serve

    options.pop("workers", None)

    def run(server: LocalServer) -> int:
        serve(host, port, config=local_config(server.base_url, model=server.alias), **options)
        return 0

    return _with_server(model_path, run, "; ask the proxy for model openrouter/fusion, or {alias} directly")
