"""The proxy's app served in process, for the SDK front's seam (``fusion_tool.sdk``).

The same routes, validation, modes and envelopes as ``fusion-tool serve``, without a socket or
a lifespan: the runtime is built here from the caller's own client, which fusion's inner calls
go out through. Every response says ``x-should-retry: false``: the SDK must not re-send a
fused request (each try would pay for a new panel); fusion has retried its inner calls already.
"""

from __future__ import annotations

from typing import Any

import openai
from starlette.types import Message, Receive, Scope, Send

from fusion_tool.core.config import FusionConfig
from fusion_tool.core.events import Listener
from fusion_tool.modes.memory import Memory
from fusion_tool.provider.upstream import Upstream
from fusion_tool.proxy import validate
from fusion_tool.proxy.app import DEFAULT_KEEPALIVE_SECONDS, Runtime, build
from fusion_tool.proxy.limits import Inflight

#: no cap on fused calls in flight in process: the caller's own concurrency is the bound
UNCAPPED = 2**31


def embedded_app(
    config: FusionConfig, client: openai.OpenAI | openai.AsyncOpenAI, on_event: Listener | None = None
) -> Any:
    """An ASGI app serving fused chat completions for ``client``'s provider, in process."""
    runtime = Runtime(config, Upstream.for_config(config, client), None, Memory(), Inflight(UNCAPPED),
                      DEFAULT_KEEPALIVE_SECONDS, validate.DEFAULT_MAX_BODY_BYTES, on_event)
    app = build(None, None, guarded=False)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        scope["state"] = {"runtime": runtime}

        async def send_no_retry(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-should-retry", b"false")]}
            await send(message)

        await app(scope, receive, send_no_retry)

    serve.runtime = runtime  # type: ignore[attr-defined]
    return serve
