"""The SDK's own HTTP seam: every request a wrapped client makes passes through here.

The wrapped client is a copy of the caller's, whose HTTP client has a :class:`FusionTransport`.
The SDK builds each request as it always does (every method: ``create``, ``parse``,
``with_raw_response``, ``with_streaming_response``, ``stream()``, ``with_options(...)``,
Responses), then the transport reads it:

- a chat completion or a Responses request that fusion serves (alias or tool mode, by the same
  ``modes.plan`` as every front) goes to the proxy's app, in process, without a socket
  (``provider.asgi``);
- anything else goes on, exactly as the SDK built it, through the caller's own HTTP client:
  base URL, key, default headers and query, organization and project, Azure auth, a custom
  ``http_client`` — all apply as if fusion were not there.

Fusion's own inner calls leave through the caller's original client too (``Upstream``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

from fusion_tool.core.config import FusionConfig
from fusion_tool.core.errors import FusionError
from fusion_tool.modes.plan import plan
from fusion_tool.provider.asgi import LoopThread, StreamingASGITransport, ThreadedASGITransport
from fusion_tool.proxy.deadline import CLIENT_TIMEOUT_HEADER

#: paths whose requests fusion may serve (Chat Completions and the Responses API); every other
#: request goes straight on
FUSED_PATHS = ("/chat/completions", "/responses")


def is_fused(request: httpx2.Request, config: FusionConfig) -> bool:
    """Whether fusion serves ``request``: a POST to a fused path whose body plans as alias or
    tool mode. A body fusion cannot read goes on to the provider, which answers it as it would
    without fusion; a fusion request with a bad field is fusion's to refuse (a 400)."""
    if request.method != "POST" or not request.url.path.endswith(FUSED_PATHS):
        return False
    try:
        body = json.loads(request.content)
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    try:
        return plan(body, config).mode != "pass"
    except FusionError:
        return True


def for_app(request: httpx2.Request) -> httpx2.Request:
    """``request`` as the app takes it: the path it routes (the SDK puts its base URL's path in
    front: OpenRouter's ``/api/v1``, an Azure deployment's ``/openai/deployments/{model}``), and
    the client's read timeout, which bounds the fused call (``proxy/deadline.py``)."""
    path = next(p for p in FUSED_PATHS if request.url.path.endswith(p))
    headers = request.headers.copy()
    read = (request.extensions.get("timeout") or {}).get("read")
    if isinstance(read, (int, float)) and not isinstance(read, bool):  # the app answers before this
        headers[CLIENT_TIMEOUT_HEADER] = repr(float(read))  # client gives up (and re-sends: a new panel)
    return httpx2.Request(request.method, request.url.copy_with(path=path), headers=headers,
                          content=request.content, extensions=request.extensions)


class FusionTransport(httpx2.AsyncBaseTransport):
    """The async seam: fused requests to ``app``, the rest through ``original``."""

    def __init__(self, app: Any, original: httpx2.AsyncClient, config: FusionConfig) -> None:
        self._app = StreamingASGITransport(app)
        self._original = original
        self._config = config

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        if is_fused(request, self._config):
            return await self._app.handle_async_request(for_app(request))
        return await self._original.send(request, stream=True)

    async def aclose(self) -> None:
        await self._original.aclose()


class SyncFusionTransport(httpx2.BaseTransport):
    """The sync seam: fused requests to ``app`` on a private event loop, the rest through
    ``original``."""

    def __init__(self, app: Any, original: httpx2.Client, config: FusionConfig) -> None:
        self._loop = LoopThread("fusion-tool-sdk-loop")
        self._app = ThreadedASGITransport(app, loop=self._loop)
        self._original = original
        self._config = config

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        if is_fused(request, self._config):
            return self._app.handle_request(for_app(request))
        return self._original.send(request, stream=True)

    def close(self) -> None:
        self._original.close()
        self._loop.close()  # the private loop's thread ends with the client
