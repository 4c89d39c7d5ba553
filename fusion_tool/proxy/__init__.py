"""The OpenAI-compatible fusion proxy: point any client at it by changing one URL.

``POST /v1/chat/completions`` and ``POST /v1/responses`` serve alias mode
(``openrouter/fusion``), tool mode (``tools: [{"type": "openrouter:fusion"}]``) and plain
pass-through, streaming or not; ``GET /v1/models`` lists the aliases (and the provider's
models); ``GET /healthz``.

    fusion-tool serve [--host 127.0.0.1] [--port 8000] [--workers N]

Modules, one idea each: ``app`` (routes and shared resources), ``validate`` (request shape),
``errors`` (envelopes), ``passthrough`` (relaying bytes), ``fused`` (alias / tool mode as JSON or
SSE), ``responses/`` (the Responses API, translated to and from the same modes), ``sse``
(events and keep-alives), ``disconnect`` (cancel on client exit), ``limits`` (the in-flight
cap), ``auth`` (loopback or bearer token), ``accesslog``, ``server``, ``cli``.
"""

from fusion_tool.proxy.app import create_app
from fusion_tool.proxy.server import running, serve

__all__ = ["create_app", "running", "serve"]
