"""``POST /v1/responses``: the Responses API door to the same modes as Chat Completions.

The body plans as the SDK seam plans it (``modes.plan`` on the body as it came): a request
that involves no fusion goes to the provider's ``/responses`` byte for byte, streaming as it
arrives. A fused one (alias or tool mode) is checked and translated (``request``), served by
``modes.serve`` exactly as a chat completion is (gate, guards, memory and all), and its answer
put back in Responses terms: one JSON ``response`` (``output``), or the typed events of a
stream (``events``) with keep-alive comments while nothing else is due. The client leaving
cancels the fused call and every upstream call in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Send

from fusion_tool.core import chat, fastjson
from fusion_tool.core.errors import ProxyError
from fusion_tool.core.events import Event, Listener
from fusion_tool.core.log import get_logger
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import Plan, plan
from fusion_tool.modes.serve import serve
from fusion_tool.proxy import deadline, sse, validate
from fusion_tool.proxy.disconnect import until_disconnect
from fusion_tool.proxy.passthrough import RelayResponse
from fusion_tool.proxy.responses import output
from fusion_tool.proxy.responses import request as translate
from fusion_tool.proxy.responses.events import Translator
from fusion_tool.proxy.responses.fusion_item import FusionRuns

log = get_logger("fusion_tool.proxy")


def _refuse_redirects(body: dict[str, Any]) -> None:
    for name in validate.REFUSED_FIELDS:
        if name in body:
            raise ProxyError(400, f"{name}: not accepted; the provider and its key are the server's own "
                             "configuration", code="field_not_allowed", param=name)


def _listener(first: Callable[[Event], Any], then: Listener | None) -> Listener:
    def listen(event: Event) -> None:
        first(event)
        if then is not None:
            then(event)
    return listen


async def responses(request: Request) -> Any:
    rt = request.state.runtime
    raw = await validate.read_body(request, rt.max_body_bytes)
    body = validate.parse(raw)
    _refuse_redirects(body)
    if plan(body, rt.config).mode == "pass":  # as the SDK seam decides it
        request.state.mode = "pass"
        if rt.relay is None:
            raise ProxyError(500, "no provider to relay to (in process, the SDK seam relays)", code="internal_error")
        return RelayResponse(rt.relay, rt.relay.request("POST", "/responses", request.headers, raw))
    translate.check(body)
    p = plan(validate.sdk_request(translate.to_chat(body)), rt.config)
    request.state.mode = p.mode
    log.debug("plan", api="responses", mode=p.mode, model=body.get("model"), stream=bool(body.get("stream")),
              panel=list(p.config.panel_models))
    # a client that replays the fusion item carries the exchange itself: memory would add it twice
    memory = None if translate.has_fusion_items(body) else rt.memory
    p, keepalive = deadline.within(p, request.headers, rt.keepalive_seconds)  # the client's own timeout
    release = await _slot(rt.inflight)
    if body.get("stream"):
        return ResponsesStream(_events(p, rt, body, memory), keepalive_seconds=keepalive, release=release)
    try:
        return await _complete(request.receive, p, rt, body, memory)
    finally:
        release()


async def _complete(receive: Receive, p: Plan, rt: Any, body: dict[str, Any], memory: Memory | None) -> Response:
    runs = FusionRuns(_counter(), lambda: output.new_id("fusion"))
    completion = await until_disconnect(receive, serve(p, rt.upstream, _listener(runs.on_event, rt.on_event), memory))
    record = completion.get("fusion")
    runs.close(record)
    answer = output.response(body, output.new_id("resp"), completion.get("created") or output.created_now(),
                             status=output.finished_status(chat.finish_reason(completion)),
                             output=[*runs.items(), *output.answer_items(completion)],
                             usage=output.usage(completion.get("usage")))
    answer["fusion"] = record
    return Response(fastjson.dumps(answer), media_type="application/json")


async def _slot(inflight: Any) -> Callable[[], None]:
    """A slot under the in-flight cap (429 when full), and the function that gives it back
    (``Inflight.acquire`` is a coroutine where the cap may live in a shared store)."""
    release = inflight.acquire()
    return await release if inspect.isawaitable(release) else release


def _counter() -> Callable[[], int]:
    count = -1

    def next_index() -> int:
        nonlocal count
        count += 1
        return count
    return next_index


async def _events(p: Plan, rt: Any, body: dict[str, Any], memory: Memory | None) -> AsyncIterator[dict[str, Any]]:
    """The response's events as the fused call runs: its chunks and its progress events go
    through one queue, so they come out in the order they happened."""
    translator = Translator(body)
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def produce() -> None:
        chunks = serve(p, rt.upstream, _listener(lambda e: queue.put_nowait(("event", e)), rt.on_event), memory)
        try:
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    queue.put_nowait(("chunk", chunk))
        except Exception as exc:  # told to the client as response.failed
            queue.put_nowait(("failed", exc))
            return
        queue.put_nowait(("end", None))

    for event in translator.start():
        yield event
    task = asyncio.create_task(produce())
    try:
        while True:
            kind, value = await queue.get()
            if kind == "event":
                events = translator.on_event(value)
            elif kind == "chunk":
                events = translator.on_chunk(value)
            elif kind == "end":
                events = translator.finish()
            else:
                log.warning("fused_stream_failed", api="responses", error=f"{type(value).__name__}: {value}")
                events = translator.fail(value)
            for event in events:
                yield event
            if kind in ("end", "failed"):
                return
    finally:
        task.cancel()
        await asyncio.wait({task})  # every upstream call of the fused call is cancelled with it


def _sse(event: dict[str, Any]) -> bytes:
    return b"event: " + event["type"].encode() + b"\n" + sse.event(event)


class ResponsesStream(sse.StreamResponse):
    """An ASGI response streaming a fused Responses answer as server-sent events (no
    ``[DONE]``: a Responses stream ends with its ``response.completed``)."""

    def __init__(self, events: AsyncIterator[dict[str, Any]], *, keepalive_seconds: float,
                 release: Callable[[], None]) -> None:
        super().__init__(events, keepalive_seconds, release)

    async def _stream(self, send: Send) -> None:
        await send(sse.RESPONSE_START)
        try:
            async with contextlib.aclosing(sse.with_keepalive(self._items, self._keepalive)) as events:
                async for item in events:
                    data = sse.KEEPALIVE_COMMENT if item is sse.KEEPALIVE else _sse(item)
                    await send({"type": "http.response.body", "body": data, "more_body": True})
        except Exception as exc:  # a bug of ours: the stream ends with an error event, never a broken connection
            log.error("fused_stream_failed", api="responses", error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc())
            await send({"type": "http.response.body", "more_body": True, "body": _sse(
                {"type": "error", "code": "internal_error", "param": None, "sequence_number": 0,
                 "message": "internal error in the fusion proxy; see the server's log"})})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
