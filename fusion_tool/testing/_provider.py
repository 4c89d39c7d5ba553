"""`ScriptedProvider`: the registry of behaviours, the request log, and the ways to reach them."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import openai

from fusion_tool.provider.asgi import LoopThread, StreamingASGITransport, ThreadedASGITransport
from fusion_tool.provider.http import transport_client
from fusion_tool.testing import _responses
from fusion_tool.testing._app import ScriptedApp
from fusion_tool.testing._replies import Behaviour, Reply, ReplyLike, ScriptedRequest
from fusion_tool.testing._server import serve_in_loop, serve_in_thread
from fusion_tool.testing._wire import DEFAULT_PRICE, compute_usage

__all__ = ["IN_PROCESS_BASE_URL", "TEST_API_KEY", "ScriptedProvider"]

IN_PROCESS_BASE_URL = "http://scripted.test/v1"
"""The base URL of the in-process clients (no DNS lookup or socket is ever made for it)."""
TEST_API_KEY = "test-key"
"""The API key the provider's own clients send (the provider accepts any key, or none)."""


def _check_behaviour(behaviour: Any) -> None:
    if isinstance(behaviour, (list, tuple)):
        if not behaviour:
            raise ValueError("a list of behaviours cannot be empty")
        for item in behaviour:
            if isinstance(item, (list, tuple)):
                raise TypeError("a list of behaviours cannot contain another list")
            _check_behaviour(item)
    elif not (callable(behaviour) or isinstance(behaviour, (str, Reply, dict))):
        raise TypeError(
            f"a behaviour is a function, str, Reply, dict or list of those, not {type(behaviour).__name__}"
        )


def _client_options(kwargs: dict[str, Any], transport: Callable[[], Any]) -> dict[str, Any]:
    """An SDK client's options: ours, overridden by ``kwargs``; the HTTP client over ``transport()``."""
    options: dict[str, Any] = {"base_url": IN_PROCESS_BASE_URL, "api_key": TEST_API_KEY, "max_retries": 0}
    options.update(kwargs)
    if options.get("http_client") is None:
        options["http_client"] = transport_client(transport())
    return options


def _coerce(result: Any) -> Reply | dict[str, Any]:
    if isinstance(result, (Reply, dict)):
        return result
    if isinstance(result, str):
        return Reply(text=result)
    raise TypeError(f"the behaviour returned {type(result).__name__}; expected Reply, str or dict")


class ScriptedProvider:
    """A deterministic, OpenAI-compatible chat-completions provider driven by Python functions.

    ```python
    from fusion_tool.testing import Reply, ScriptedProvider, ToolCall

    def panelist(req):
        if req.attempt == 1:
            return Reply(status=429, headers={"Retry-After": "1"})   # fail once, then answer
        return Reply(text=f"Answer to: {req.last_user_text}", delay=0.2)

    provider = ScriptedProvider({"model-a": panelist, "model-b": "fixed text"})
    client = provider.async_openai()                     # in process, no sockets
    with provider.serve() as base_url:                   # or a real loopback server
        ...
    assert provider.requests_for("model-a")[0].attempt == 1
    ```

    Arguments:
        behaviours: model name -> behaviour (a function, str, `Reply`, raw `dict`, or a list of
            these played in order; see `fusion_tool.testing._replies`).
        default: the behaviour for models not registered; when None, such models get a 404
            with code "model_not_found", as real providers answer.
        prices: model -> (dollars per prompt token, dollars per completion token), used for the
            computed `usage.cost`; models not listed cost `default_price`.
        publish_prices: `GET /models` shows each model's price as OpenRouter does
            (`pricing: {"prompt", "completion"}`, dollars per token, as strings).

    Every chat-completion request is recorded, in arrival order, as a `ScriptedRequest`
    (`requests`, `requests_for`); its `cancelled` / `completed` flags tell whether the
    client stayed for the whole response. All methods are thread-safe.
    """

    default_price: tuple[float, float] = DEFAULT_PRICE

    def __init__(
        self,
        behaviours: Mapping[str, Behaviour] | None = None,
        *,
        default: Behaviour | None = None,
        prices: Mapping[str, tuple[float, float]] | None = None,
        publish_prices: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        self._behaviours: dict[str, Behaviour] = {}
        self._log: list[ScriptedRequest] = []
        self._attempts: dict[tuple[str, str], int] = {}
        self._played: dict[str, int] = {}
        self._loop_thread: LoopThread | None = None
        if default is not None:
            _check_behaviour(default)
        self.default: Behaviour | None = default
        self.prices: dict[str, tuple[float, float]] = dict(prices or {})
        self.publish_prices = publish_prices
        for model, behaviour in (behaviours or {}).items():
            self.add(model, behaviour)
        self.app = ScriptedApp(self)
        """The ASGI application; mount it anywhere, or use the transports and servers below."""

    # -- behaviours and the request log ------------------------------------------------------

    def add(self, model: str, behaviour: Behaviour) -> None:
        """Register `behaviour` for `model`, replacing (and restarting) any previous one."""
        _check_behaviour(behaviour)
        with self._lock:
            self._behaviours[model] = behaviour
            self._played.pop(model, None)

    @property
    def models(self) -> list[str]:
        """The registered model names, in registration order."""
        with self._lock:
            return list(self._behaviours)

    @property
    def requests(self) -> list[ScriptedRequest]:
        """Every chat-completion request received since the last reset, in arrival order."""
        with self._lock:
            return list(self._log)

    def requests_for(self, model: str) -> list[ScriptedRequest]:
        """The requests for `model`, in arrival order."""
        with self._lock:
            return [r for r in self._log if r.model == model]

    @property
    def last_request(self) -> ScriptedRequest | None:
        """The most recent request, or None."""
        with self._lock:
            return self._log[-1] if self._log else None

    def reset(self) -> None:
        """Clear the request log and start `attempt`, `index` and behaviour lists from scratch."""
        with self._lock:
            self._log.clear()
            self._attempts.clear()
            self._played.clear()

    def usage_of(self, request: ScriptedRequest) -> dict[str, Any] | None:
        """The `usage` the provider reported for `request` (None for errors)."""
        return request.usage

    def total_usage(self, model: str | None = None) -> dict[str, Any]:
        """prompt/completion/total tokens and cost summed over the logged requests (of `model`)."""
        totals: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": 0.0}
        for request in self.requests if model is None else self.requests_for(model):
            for key, value in (request.usage or {}).items():
                if key in totals and isinstance(value, (int, float)):
                    totals[key] += value
        totals["cost"] = round(totals["cost"], 12)
        return totals

    def price_for(self, model: str) -> tuple[float, float]:
        """(prompt, completion) dollars per token for `model`."""
        return self.prices.get(model, self.default_price)

    # -- what the ASGI app calls -------------------------------------------------------------

    def pricing(self, model: str) -> tuple[float, float] | None:
        """The price `GET /models` publishes for `model` (None unless `publish_prices`)."""
        return self.price_for(model) if self.publish_prices else None

    def model_ids(self) -> list[str]:
        return self.models

    def open_request(
        self, body: dict[str, Any], headers: dict[str, str], *, api: str = "chat"
    ) -> tuple[ScriptedRequest, Any]:
        """Record a request and pick its behaviour; returns it and a coroutine function.
        ``api`` is ``chat`` or ``responses`` (whose input is read as chat messages)."""
        model = body["model"]
        messages = body["messages"] if api == "chat" else _responses.request_messages(body)
        key = (model, json.dumps(messages, sort_keys=True, default=str))
        tools = body.get("tools")
        response_format = body.get("response_format") if api == "chat" else _responses.text_format(body)
        with self._lock:
            attempt = self._attempts[key] = self._attempts.get(key, 0) + 1
            request = ScriptedRequest(
                model=model,
                messages=messages,
                body=body,
                headers=headers,
                stream=bool(body.get("stream")),
                tools=tools if isinstance(tools, list) else [],
                response_format=response_format if isinstance(response_format, dict) else None,
                attempt=attempt,
                index=len(self._log),
                api=api,
            )
            self._log.append(request)
            behaviour = self._behaviours.get(model, self.default)
            if isinstance(behaviour, (list, tuple)):
                played = self._played[model] = self._played.get(model, 0) + 1
                behaviour = behaviour[min(played, len(behaviour)) - 1]
        return request, functools.partial(self._resolve, request, behaviour)

    @staticmethod
    async def _resolve(request: ScriptedRequest, behaviour: Any) -> Reply | dict[str, Any]:
        if behaviour is None:
            message = f"The model `{request.model}` does not exist or you do not have access to it."
            return Reply(status=404, error=message, error_code="model_not_found")
        try:
            result: ReplyLike = behaviour(request) if callable(behaviour) else behaviour
            if inspect.isawaitable(result):
                result = await result
            return _coerce(result)
        except Exception as exc:  # the behaviour's failure becomes the provider's 500
            request._status.exception = exc
            return Reply(status=500, error=str(exc) or type(exc).__name__, error_type="server_error")

    def usage_for(self, request: ScriptedRequest, reply: Reply) -> dict[str, Any]:
        return reply.usage if reply.usage is not None else compute_usage(request, reply, self.price_for(request.model))

    # -- in process ----------------------------------------------------------------------------

    def async_transport(self) -> StreamingASGITransport:
        """An httpx2 async transport that runs `app` in the caller's event loop, streaming."""
        return StreamingASGITransport(self.app)

    def transport(self) -> ThreadedASGITransport:
        """An httpx2 sync transport that runs `app` on the provider's background loop thread."""
        with self._lock:
            if self._loop_thread is None:
                self._loop_thread = LoopThread()
            return ThreadedASGITransport(self.app, loop=self._loop_thread)

    def async_openai(self, **kwargs: Any) -> openai.AsyncOpenAI:
        """An `openai.AsyncOpenAI` wired to the provider in process (no retries by default).

        Keyword arguments override the defaults (`base_url`, `api_key="test-key"`,
        `max_retries=0`, `http_client`) and pass through to `openai.AsyncOpenAI`.
        """
        return openai.AsyncOpenAI(**_client_options(kwargs, self.async_transport))

    def openai(self, **kwargs: Any) -> openai.OpenAI:
        """An `openai.OpenAI` wired to the provider in process; see `async_openai`."""
        return openai.OpenAI(**_client_options(kwargs, self.transport))

    # -- on loopback ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve the provider with uvicorn on 127.0.0.1 from a background thread.

        Yields the base URL, "http://127.0.0.1:PORT/v1"; `port=0` picks a free port.
        """
        with serve_in_thread(self.app, port) as base_url:
            yield base_url

    @contextlib.asynccontextmanager
    async def aserve(self, port: int = 0) -> AsyncIterator[str]:
        """Like `serve`, but the server runs as a task of the current event loop."""
        async with serve_in_loop(self.app, port) as base_url:
            yield base_url

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the background loop thread used by sync transports, if one was started."""
        with self._lock:
            loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            loop_thread.close()

    def __enter__(self) -> ScriptedProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ScriptedProvider(models={self.models!r}, requests={len(self._log)})"
