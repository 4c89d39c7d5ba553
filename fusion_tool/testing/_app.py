"""The scripted provider's ASGI application, written against raw ASGI 3.

Routes (an optional `/v1` prefix is accepted and ignored):

- `POST /chat/completions`: runs the model's behaviour and answers as JSON or as a
  `text/event-stream` stream;
- `POST /responses`: the same behaviours on the Responses API (`_responses`): the request is
  read as chat messages, the reply is a `response` object or its stream of typed events;
- `GET /models` and `GET /models/{id}`: the registered models (with OpenRouter's `pricing`,
  dollars per token as strings, when the provider publishes its prices);
- anything else: 404 with the OpenAI error envelope.

While a chat-completion response is pending (its `delay`, a `hang`, a long behaviour, or a
stream between chunks) the app listens for `http.disconnect`: when the client goes away the
pending work is cancelled and the request is marked `cancelled`. The same happens when the
server cancels the app (for example on shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Protocol

from fusion_tool.testing import _responses
from fusion_tool.testing._replies import Reply, ScriptedRequest
from fusion_tool.testing._wire import SSE_DONE, completion_body, error_body, json_request, sse_event, stream_chunks

__all__ = ["ScriptedApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MODELS_CREATED = 1_700_000_000
"""The fixed `created` timestamp of every listed model (deterministic listings)."""


class ProviderCore(Protocol):
    """What the app needs from `ScriptedProvider` (kept narrow so the app stays pure HTTP)."""

    def model_ids(self) -> list[str]: ...

    def open_request(
        self, body: dict[str, Any], headers: dict[str, str], *, api: str = "chat"
    ) -> tuple[ScriptedRequest, Callable[[], Awaitable[Reply | dict[str, Any]]]]: ...

    def usage_for(self, request: ScriptedRequest, reply: Reply) -> dict[str, Any]: ...


def _capped(request: ScriptedRequest, reply: Reply | dict[str, Any]) -> Reply | dict[str, Any]:
    """A reply's text cut at the request's ``max_completion_tokens`` (or ``max_tokens``) words,
    ``finish_reason: "length"``, as a real provider stops at the cap."""
    cap = request.body.get("max_completion_tokens", request.body.get("max_tokens"))
    if request.api == "responses":
        cap = request.body.get("max_output_tokens")
    if not isinstance(reply, Reply) or not isinstance(cap, int) or reply.usage is not None or reply.is_error:
        return reply
    text = reply.text if reply.text is not None else (None if reply.json is None else json.dumps(reply.json))
    words = (text or "").split()
    if len(words) <= cap or reply.tool_calls:
        return reply
    return dataclasses.replace(reply, text=" ".join(words[:cap]), json=None, finish_reason="length")


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("ascii")


async def _send_json(
    send: Send,
    status: int,
    data: Any,
    headers: Iterable[tuple[str, str]] = (),
    request: ScriptedRequest | None = None,
) -> None:
    body = _json_bytes(data)
    merged = {"content-type": "application/json", **dict(headers)}
    merged["content-length"] = str(len(body))
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
    if request is not None:
        request._status.status_code = status
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await _send_last(send, body, request)


async def _send_last(send: Send, body: bytes, request: ScriptedRequest | None) -> None:
    """Send the final body message, marking the request completed first.

    Marking it afterwards would race the client, which may read the response and inspect the
    request log before this coroutine resumes (the server thread is not the client's).
    """
    if request is not None:
        request._status.finish(completed=True)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client disconnected while sending it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse_chat_body(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(body, None) for a usable chat-completion body, else (None, error message)."""
    body, error = json_request(raw)
    if body is None:
        return None, error
    if not isinstance(body.get("messages"), list):
        return None, "Missing required parameter: 'messages'."
    return body, None


class ScriptedApp:
    """A raw ASGI 3 app that answers chat completions from a `ScriptedProvider`.

    You rarely build one yourself: use `ScriptedProvider.app`. It can be mounted in any ASGI
    server or framework, and is what both the in-process transports and `serve()` run.
    """

    def __init__(self, core: ProviderCore) -> None:
        self._core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path.startswith("/v1/") or path == "/v1":
            path = path[3:]
        path = path.rstrip("/") or "/"
        method = scope["method"]
        if path == "/chat/completions":
            if method != "POST":
                await _send_json(send, 405, error_body(405, f"Method {method} not allowed."))
                return
            await self._chat(scope, receive, send)
        elif path == "/responses":
            if method != "POST":
                await _send_json(send, 405, error_body(405, f"Method {method} not allowed."))
                return
            await self._chat(scope, receive, send, api="responses")
        elif path == "/models" and method == "GET":
            data = [self._model_card(m) for m in self._core.model_ids()]
            await _send_json(send, 200, {"object": "list", "data": data})
        elif path.startswith("/models/") and method == "GET":
            model = path[len("/models/") :]
            if model in self._core.model_ids():
                await _send_json(send, 200, self._model_card(model))
            else:
                await _send_json(send, 404, self._model_not_found(model))
        else:
            await _send_json(send, 404, error_body(404, f"Unknown route {method} {scope['path']}."))

    def _model_card(self, model: str) -> dict[str, Any]:
        card: dict[str, Any] = {"id": model, "object": "model", "created": MODELS_CREATED, "owned_by": "scripted"}
        pricing = getattr(self._core, "pricing", None)
        if pricing is not None and (price := pricing(model)) is not None:
            card["pricing"] = {"prompt": repr(price[0]), "completion": repr(price[1])}
        return card

    @staticmethod
    def _model_not_found(model: str) -> dict[str, Any]:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return error_body(404, message, code="model_not_found")

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _chat(self, scope: Scope, receive: Receive, send: Send, api: str = "chat") -> None:
        raw = await _read_body(receive)
        if raw is None:
            return
        body, problem = _parse_chat_body(raw) if api == "chat" else _responses.parse_body(raw)
        if body is None:
            await _send_json(send, 400, error_body(400, problem))
            return
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", ()):
            name, text = key.decode("latin-1").lower(), value.decode("latin-1")
            headers[name] = f"{headers[name]}, {text}" if name in headers else text
        request, resolve = self._core.open_request(body, headers, api=api)
        await self._race_disconnect(request, self._respond(request, resolve, send), receive)

    @staticmethod
    async def _race_disconnect(
        request: ScriptedRequest, work: Awaitable[None], receive: Receive
    ) -> None:
        """Run `work`; cancel it and mark the request cancelled if the client goes away."""

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        worker = asyncio.ensure_future(work)
        watcher = asyncio.ensure_future(watch())
        try:
            await asyncio.wait({worker, watcher}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            worker.cancel()
            request._status.finish(completed=False)
            raise
        finally:
            watcher.cancel()
        if not worker.done():
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            request._status.finish(completed=False)
            return
        try:
            worker.result()
        except OSError:  # the server could not write: the client is gone
            request._status.finish(completed=False)
        except BaseException:
            request._status.finish(completed=False)
            raise

    async def _respond(
        self,
        request: ScriptedRequest,
        resolve: Callable[[], Awaitable[Reply | dict[str, Any]]],
        send: Send,
    ) -> None:
        reply = _capped(request, await resolve())
        if isinstance(reply, dict):
            usage = reply.get("usage")
            request._status.usage = usage if isinstance(usage, dict) else None
            await _send_json(send, 200, reply, self._headers(request, {}), request)
            return
        if reply.hang:
            await asyncio.Event().wait()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        headers = self._headers(request, reply.headers)
        if reply.is_error:
            status = reply.error_status
            body = error_body(status, reply.error, type=reply.error_type, code=reply.error_code)
            await _send_json(send, status, body, headers, request)
        elif request.stream:
            await self._stream(request, reply, send, headers)
        else:
            usage = request._status.usage = self._core.usage_for(request, reply)
            whole = completion_body if request.api == "chat" else _responses.response_body
            await _send_json(send, 200, whole(request, reply, usage, int(time.time())), headers, request)

    async def _stream(
        self, request: ScriptedRequest, reply: Reply, send: Send, headers: list[tuple[str, str]]
    ) -> None:
        merged = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", **dict(headers)}
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
        request._status.status_code = 200
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        usage = request._status.usage = self._core.usage_for(request, reply)
        chat = request.api == "chat"
        chunks = (stream_chunks if chat else _responses.stream_events)(request, reply, usage, int(time.time()))
        encode = sse_event if chat else _responses.sse_event
        for n, chunk in enumerate(chunks):
            if n and reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            await send({"type": "http.response.body", "body": encode(chunk), "more_body": True})
        await _send_last(send, SSE_DONE if chat else b"", request)  # a Responses stream ends without [DONE]

    @staticmethod
    def _headers(request: ScriptedRequest, extra: dict[str, str]) -> list[tuple[str, str]]:
        """Response headers, lower-cased: a request id plus the reply's own headers."""
        headers = {"x-request-id": f"req_scripted_{request.index}"}
        headers.update({k.lower(): str(v) for k, v in extra.items()})
        return list(headers.items())
