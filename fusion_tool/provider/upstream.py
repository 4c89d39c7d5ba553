"""The one place that talks to the provider: a call with a timeout and one retry policy.

Wraps either an ``openai.AsyncOpenAI`` (awaited directly) or an ``openai.OpenAI`` (run on a
worker thread) so the async core serves sync users with their own client, settings and all.
The SDK's own retries are turned off on the clients used here, so exactly one retry loop runs:
408/409/429/5xx and connection errors, ``Retry-After`` honoured, capped backoff with jitter.
A provider's error text is scrubbed of secrets (``core.scrub``, with this client's key) as it
becomes an :class:`UpstreamError`, since that text goes on to clients.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import httpx2
import openai

from fusion_tool.core import fastjson, telemetry
from fusion_tool.core.config import DEFAULT_MAX_RETRIES, FusionConfig
from fusion_tool.core.errors import UpstreamError
from fusion_tool.core.log import get_logger
from fusion_tool.core.scrub import scrub
from fusion_tool.core.usage import Call
from fusion_tool.provider import retry, wire
from fusion_tool.provider.dialect import NO_RESPONSE_FORMAT, Dialect, ToolCallDeltas, dialect_for, response_format
from fusion_tool.provider.http import client_from_config
from fusion_tool.provider.retry import RETRYABLE_STATUSES
from fusion_tool.provider.wire import Wire

log = get_logger("fusion_tool.provider.upstream")

#: the SDK's per-request keywords, and the request option each one becomes
_SDK_ONLY = {"extra_headers": "headers", "extra_query": "params", "extra_body": "extra_json"}


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def _message(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict) and inner.get("message"):
                return f"HTTP {exc.status_code}: {inner['message']}"
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    return str(exc) or type(exc).__name__


class Spender(Protocol):
    """What :meth:`Upstream.complete` asks before and after a call under a ceiling (the ledger
    is ``fusion_tool.pipeline.spend.Spend``): reserve the worst case, then settle."""

    def reserve(self, stage: str, params: dict[str, Any], *, hold: str | None = None,
                shrink_to: int | None = None) -> tuple[Any, dict[str, Any]]: ...

    def settle(self, ticket: Any, call: Call | None) -> None: ...


class Upstream:
    """Chat completions against one provider, with the retry policy and usage records."""

    def __init__(
        self,
        client: openai.AsyncOpenAI | openai.OpenAI,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.is_async = isinstance(client, openai.AsyncOpenAI)
        self.client = client.with_options(max_retries=0)
        self.max_retries = max_retries
        self._sleep = sleep
        #: the request shape this provider takes (token cap, roles, content), learnt as it answers
        self.dialect: Dialect = dialect_for(self.base_url)
        self._owned: Any = None  # a client made for us, closed by aclose()
        self._wire: Wire | None = None  # the lean path, once the SDK's first request is learnt
        self._learn = self.is_async and wire.eligible(self.client)
        self._prices: dict[str, tuple[float, float]] | None = None  # the provider's, once read

    @classmethod
    def for_config(cls, config: FusionConfig, client: openai.AsyncOpenAI | openai.OpenAI | None = None,
                   *, own: bool = False, **kwargs: Any) -> Upstream:
        """The upstream every front uses: ``client`` (the caller's own, left open unless ``own``),
        or a client made from ``config``'s provider URL and key (closed by :meth:`aclose`);
        ``config``'s retry count."""
        own = own or client is None
        upstream = cls(client if client is not None else client_from_config(config),
                       max_retries=config.max_retries, **kwargs)
        if own:
            upstream._owned = upstream.client
        return upstream

    async def aclose(self) -> None:
        """Close the client :meth:`for_config` made (a caller's own client stays open)."""
        if self._owned is not None:
            await self._owned.close()
            self._owned = None

    async def published_prices(self) -> dict[str, tuple[float, float]]:
        """``{model: (prompt, completion)}`` dollars per token from the provider's ``GET /models``
        where its entries carry ``pricing`` (OpenRouter's); ``{}`` where it publishes none or
        the list cannot be read. Read once, for this client's life."""
        if self._prices is None:
            try:
                if self.is_async:
                    page = await self.client.models.list()
                else:
                    page = await asyncio.to_thread(self.client.models.list)
                entries = [{"id": m.id, **(m.model_extra or {})} for m in page.data]
            except (openai.APIError, openai.APIConnectionError, ValueError, TypeError) as exc:
                log.info("no_published_prices", error=self.scrub(_message(exc)))
                entries = []
            self._prices = published_prices(entries)
        return dict(self._prices)

    @property
    def base_url(self) -> str:
        return str(self.client.base_url)

    def scrub(self, text: str) -> str:
        """``text`` (a provider's, or about its answer) without secrets: ``core.scrub``'s rules
        and this client's own key, whatever its shape. Every :class:`UpstreamError` is scrubbed."""
        return scrub(text, (getattr(self.client, "api_key", None),))

    def _failed(self, exc: BaseException, model: Any) -> UpstreamError:
        return UpstreamError(self.scrub(_message(exc)), status_code=_status(exc), model=model)

    async def _create(self, params: dict[str, Any], timeout: float | None) -> Any:
        """One request as the provider's own JSON: a dict, or for a stream the SDK's stream of
        chunk dicts (its SSE decoding and error events). The first goes by the SDK's own POST,
        so the client's auth, headers, query, timeouts, hooks and typed errors (and Azure's
        deployment paths) all apply, without the per-message type transform, and its answer
        parsed once by :mod:`~fusion_tool.core.fastjson` rather than into pydantic models
        (``cast_to``); the request it built is then re-sent with each new body
        (:class:`~fusion_tool.provider.wire.Wire`) where the client allows. Those were most of
        an inner call's CPU (benchmarks/)."""
        params = self.dialect.adapt(params)
        body = {k: v for k, v in params.items() if k not in _SDK_ONLY}
        if isinstance(params.get("extra_body"), dict):
            body.update(params["extra_body"])
        stream = bool(body.get("stream"))
        plain = not params.get("extra_headers") and not params.get("extra_query")
        if self._wire is not None and plain:
            out = await self._wire.send(body, stream=stream, timeout=timeout)
        else:
            out = await self._post(params, body, stream, timeout)
            if plain and self._learn:
                self._learn = False
                self._wire = Wire.learn(self.client, (out.response if stream else out).request)
        return out if stream else _completion(out, params.get("model"))

    async def _post(self, params: dict[str, Any], body: dict[str, Any], stream: bool, timeout: float | None) -> Any:
        """The SDK's own POST of ``body``: the raw response, or the stream of chunk dicts."""
        options: dict[str, Any] = {"security": {"bearer_auth": True}}
        if timeout is not None:
            options["timeout"] = timeout
        for sdk_name, option in _SDK_ONLY.items():
            if params.get(sdk_name) and option != "extra_json":
                options[option] = params[sdk_name]
        kwargs: dict[str, Any] = {"body": body, "options": options, "stream": stream}
        if stream:
            kwargs.update(cast_to=object, stream_cls=openai.AsyncStream[object] if self.is_async else openai.Stream[object])
        else:
            kwargs["cast_to"] = httpx2.Response
        if self.is_async:
            return await self.client.post("/chat/completions", **kwargs)
        return await asyncio.to_thread(self.client.post, "/chat/completions", **kwargs)

    async def _with_retries(
        self,
        params: dict[str, Any],
        *,
        timeout: float | None,
        deadline: float | None,
        retry_statuses: frozenset[int],
    ) -> Any:
        attempt = 0
        while True:
            try:
                return await self._create(params, _remaining(timeout, deadline))
            except (openai.APIStatusError, openai.APIConnectionError) as exc:
                if self.dialect.learn_from_error(exc, params):
                    continue  # a quirk learnt: re-sent at once, adapted (not a retry; each is learnt once)
                attempt += 1
                status = _status(exc)
                headers = exc.response.headers if isinstance(exc, openai.APIStatusError) else None
                decision = retry.decide(status, headers, attempt, self.max_retries,
                                        retry_statuses=retry_statuses, deadline=deadline)
                log.info("retry" if decision.retry else "no_retry", model=params.get("model"), status=status,
                         attempt=attempt, reason=decision.reason, delay=round(decision.delay, 3))
                if not decision.retry:
                    raise self._failed(exc, params.get("model")) from exc
                await self._sleep(decision.delay)

    @telemetry.traced_complete  # a GenAI-convention span per call, and the metrics
    async def complete(
        self,
        stage: str,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        retry_statuses: frozenset[int] = RETRYABLE_STATUSES,
        spend: Spender | None = None,
        hold: str | None = None,
        shrink_to: int | None = None,
        **params: Any,
    ) -> tuple[dict[str, Any], Call]:
        """One non-streaming completion, the provider's JSON (retried as the policy says), and
        its usage record.

        ``deadline`` is a ``time.monotonic()`` instant no retry may wait past. ``spend``: the
        call reserves its worst case there first (``hold``: out of that stage's hold;
        ``shrink_to``: its cap may be lowered to fit) and settles after; a call that does not
        fit raises ``BudgetSkipped`` unsent.
        """
        ticket, params = spend.reserve(stage, params, hold=hold, shrink_to=shrink_to) if spend is not None else (None, params)
        started = time.monotonic()
        completion = await _settling(spend, ticket, self._with_retries(
            params, timeout=timeout, deadline=deadline, retry_statuses=retry_statuses))
        self.dialect.learn_from_completion(params, completion)
        call = Call.from_usage(stage, params["model"], completion.get("usage"), time.monotonic() - started)
        if spend is not None:
            spend.settle(ticket, call)
        return completion, call

    async def complete_structured(
        self, stage: str, *, schema: dict[str, Any], schema_name: str, deadline: float | None = None, **params: Any
    ) -> tuple[dict[str, Any], Call, str]:
        """A completion asked to match ``schema``, in the strongest form this provider takes
        (``json_schema``, then ``json_object``, then the prompt alone), and the form used.

        The first refusal of a form steps down to the next, at once and without counting as a
        retry; the form that answered is remembered in :attr:`dialect` for later calls.
        """
        forms = self.dialect.structured_forms()
        for i, form in enumerate(forms):
            known = self.dialect.structured_output is not None
            fmt = response_format(form, schema, schema_name)
            # while probing, a refusal is an answer, not a reason to retry
            statuses = RETRYABLE_STATUSES if known or fmt is None else RETRYABLE_STATUSES - NO_RESPONSE_FORMAT
            extra = {"response_format": fmt} if fmt else {}
            try:
                completion, call = await self.complete(stage, deadline=deadline, retry_statuses=statuses,
                                                       **params, **extra)
            except UpstreamError as exc:
                if known or exc.status_code not in NO_RESPONSE_FORMAT or i == len(forms) - 1:
                    raise
                log.info("structured_output_refused", form=form, status=exc.status_code)
                continue
            self.dialect.structured_output = form
            return completion, call, form
        raise AssertionError("unreachable: the last form raises or returns")

    @telemetry.traced_stream
    async def stream(
        self, *, timeout: float | None = None, deadline: float | None = None, spend: Spender | None = None,
        hold: str | None = None, stage: str = "writer", **params: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """A streaming completion's chunks (the provider's JSON); retried only until the stream
        opens, never after its first byte.
        ``spend``, ``hold``: as for :meth:`complete` (settled with the usage the stream reports)."""
        ticket, params = spend.reserve(stage, params, hold=hold) if spend is not None else (None, params)
        params = {**params, "stream": True}
        reported: Any = None
        stream = await _settling(spend, ticket, self._with_retries(
            params, timeout=timeout, deadline=deadline, retry_statuses=RETRYABLE_STATUSES))
        repair = ToolCallDeltas()  # some servers repeat a tool call's name in every delta
        try:
            if self.is_async:
                async for chunk in stream:
                    if isinstance(chunk, dict):  # an event that is no JSON object (``data: null``) says nothing
                        reported = chunk.get("usage") or reported
                        yield repair(chunk)
            else:
                iterator = iter(stream)
                done = object()
                while (chunk := await asyncio.to_thread(next, iterator, done)) is not done:
                    if isinstance(chunk, dict):
                        reported = chunk.get("usage") or reported
                        yield repair(chunk)
        except (openai.APIError, openai.APIConnectionError) as exc:
            raise self._failed(exc, params.get("model")) from exc
        finally:
            if spend is not None:
                spend.settle(ticket, None if reported is None else Call.from_usage(stage, params["model"], reported))
            close = getattr(stream, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result


def published_prices(models: Any) -> dict[str, tuple[float, float]]:
    """``{model: (prompt, completion)}`` from a model list's entries that carry OpenRouter's
    ``pricing`` (strings or numbers, dollars per token); the others are left out (unknown)."""
    out: dict[str, tuple[float, float]] = {}
    for entry in models if isinstance(models, list) else []:
        pricing = entry.get("pricing") if isinstance(entry, dict) else None
        if not isinstance(pricing, dict) or not isinstance(entry.get("id"), str):
            continue
        try:
            prompt, completion = float(pricing["prompt"]), float(pricing["completion"])
        except (KeyError, TypeError, ValueError):
            continue
        if prompt >= 0 and completion >= 0:  # OpenRouter's routers show -1: a variable price
            out[entry["id"]] = (prompt, completion)
    return out


async def _settling(spend: Any, ticket: Any, work: Awaitable[Any]) -> Any:
    """``work``'s result; if it fails, its reservation is given back (settled as unspent)."""
    try:
        return await work
    except BaseException:
        if spend is not None:
            spend.settle(ticket, None)
        raise


def _completion(response: httpx2.Response, model: Any) -> dict[str, Any]:
    """A non-streaming answer's JSON object (an answer that is none is the provider's failure)."""
    try:
        data = fastjson.loads(response.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UpstreamError(f"HTTP {response.status_code}: the provider's answer is not a JSON object",
                            status_code=response.status_code, model=model)
    return data


def _remaining(timeout: float | None, deadline: float | None) -> float | None:
    if deadline is None:
        return timeout
    left = max(0.001, deadline - time.monotonic())
    return left if timeout is None else min(timeout, left)
