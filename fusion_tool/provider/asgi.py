"""In-process httpx2 transports that run an ASGI app without sockets, and stream for real.

`httpx2.ASGITransport` runs the app to completion and buffers the whole body before it returns
the response: a stream arrives in one piece at the end, a `hang` never returns, and client
timeouts are ignored (they live in the network layer). The transports here behave like a
network peer instead:

- `StreamingASGITransport` (async) returns the response as soon as the app sends its status
  line, then hands each body chunk to the client as the app sends it; it honours the
  request's read timeout (raising `httpx2.ReadTimeout`, which the `openai` SDK turns into
  `openai.APITimeoutError`) and, when the client closes the response early, times out or is
  cancelled, tells the app `http.disconnect` and cancels it.
- `ThreadedASGITransport` (sync) does the same for `httpx2.Client` / `openai.OpenAI` by running
  the async transport on a private event loop in a background daemon thread.

Both work with any ASGI 3 app: the scripted provider (``fusion_tool.testing``) is served through
them, and so is the proxy's app inside a wrapped SDK client (``fusion_tool.sdk``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, MutableMapping
from typing import Any, TypeVar

import httpx2

__all__ = ["LoopThread", "StreamingASGITransport", "ThreadedASGITransport"]

_T = TypeVar("_T")
_ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]
_END = object()


class _Exchange:
    """One request/response cycle between a client and the app, running as a task."""

    _running: set[asyncio.Task[None]] = set()  # strong references until the task ends

    def __init__(self, app: _ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        loop = asyncio.get_running_loop()
        self.started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = loop.create_future()
        self.chunks: asyncio.Queue[Any] = asyncio.Queue()
        self.complete = False
        self._body: bytes | None = body
        self._gone = asyncio.Event()
        self.task = loop.create_task(self._run(app, scope))
        self._running.add(self.task)
        self.task.add_done_callback(self._running.discard)

    async def _run(self, app: _ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self._receive, self._send)
        except asyncio.CancelledError:
            self._fail(httpx2.ReadError("the request was aborted"))
            raise
        except Exception as exc:
            self._fail(exc)
        else:
            self._fail(httpx2.RemoteProtocolError("the app returned without a complete response"))

    def _fail(self, exc: BaseException) -> None:
        if not self.started.done():
            self.started.set_exception(exc)
            self.started.exception()  # mark retrieved: the client may be gone already
        elif not self.complete:
            self.chunks.put_nowait(
                exc
                if isinstance(exc, httpx2.TransportError)
                else httpx2.RemoteProtocolError(f"the app failed while streaming: {exc!r}")
            )

    async def _receive(self) -> dict[str, Any]:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        if self._gone.is_set():
            return  # like a server whose client has left: writes go nowhere
        if message["type"] == "http.response.start":
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
            self.started.set_result((message["status"], headers))
        elif message["type"] == "http.response.body":
            if message.get("body"):
                self.chunks.put_nowait(bytes(message["body"]))
            if not message.get("more_body", False):
                self.complete = True
                self.chunks.put_nowait(_END)
                self._gone.set()  # later receive() calls answer http.disconnect, as servers do

    def abort(self) -> None:
        """The client went away: tell the app, and cancel it."""
        if not self._gone.is_set():
            self._gone.set()
            self.task.cancel()


async def _wait(awaitable: Awaitable[_T], timeout: float | None, request: httpx2.Request) -> _T:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise httpx2.ReadTimeout("timed out waiting for the in-process app", request=request) from None


class _StreamingBody(httpx2.AsyncByteStream):
    def __init__(self, exchange: _Exchange, timeout: float | None, request: httpx2.Request) -> None:
        self._exchange = exchange
        self._timeout = timeout
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            try:
                item = await _wait(self._exchange.chunks.get(), self._timeout, self._request)
            except BaseException:
                self._exchange.abort()
                raise
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def aclose(self) -> None:
        if not self._exchange.complete:
            self._exchange.abort()


async def _request_body(request: httpx2.Request) -> bytes:
    try:
        return request.content
    except httpx2.RequestNotRead:
        pass
    if isinstance(request.stream, httpx2.AsyncByteStream):
        return await request.aread()
    return request.read()


class StreamingASGITransport(httpx2.AsyncBaseTransport):
    """An async httpx2 transport that runs an ASGI app in the current event loop, streaming.

    ```python
    client = httpx2.AsyncClient(transport=StreamingASGITransport(app), base_url="http://app.test")
    ```

    Arguments:
        app: the ASGI 3 application.
        client: the (host, port) the app sees as the peer.
        root_path: the ASGI `root_path`.
    """

    def __init__(
        self, app: _ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 50000), root_path: str = ""
    ) -> None:
        self.app = app
        self.client = client
        self.root_path = root_path

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await _request_body(request)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "root_path": self.root_path,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "server": (request.url.host, request.url.port),
            "client": self.client,
        }
        timeout = (request.extensions.get("timeout") or {}).get("read")
        exchange = _Exchange(self.app, scope, body)
        try:
            status, headers = await _wait(asyncio.shield(exchange.started), timeout, request)
        except BaseException:
            exchange.abort()
            raise
        return httpx2.Response(status, headers=headers, stream=_StreamingBody(exchange, timeout, request))


class LoopThread:
    """A private asyncio event loop running in a daemon thread; `run` blocks on a coroutine."""

    def __init__(self, name: str = "fusion-tool-asgi-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, started on first use."""
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run `coro` on the loop and wait for its result (cancelling it if we are interrupted)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        """Cancel what still runs on the loop, stop it and join the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


class _BridgedBody(httpx2.SyncByteStream):
    def __init__(self, stream: httpx2.AsyncByteStream, loop: LoopThread) -> None:
        self._stream = stream
        self._loop = loop

    def __iter__(self) -> Iterator[bytes]:
        chunks = self._stream.__aiter__()

        async def next_chunk() -> Any:
            try:
                return await chunks.__anext__()
            except StopAsyncIteration:
                return _END

        while (chunk := self._loop.run(next_chunk())) is not _END:
            yield chunk

    def close(self) -> None:
        self._loop.run(self._stream.aclose())


class ThreadedASGITransport(httpx2.BaseTransport):
    """A sync httpx2 transport that runs an ASGI app on a background event loop thread.

    It streams, honours read timeouts and signals disconnects like `StreamingASGITransport`.
    Pass a shared `LoopThread` to run several transports on one loop; otherwise the transport
    owns one, started on first use and stopped by `close()`.
    """

    def __init__(self, app: _ASGIApp, *, loop: LoopThread | None = None) -> None:
        self._async = StreamingASGITransport(app)
        self._owns_loop = loop is None
        self._loop = loop or LoopThread()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        response = self._loop.run(self._async.handle_async_request(request))
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_BridgedBody(response.stream, self._loop),
        )

    def close(self) -> None:
        if self._owns_loop:
            self._loop.close()
