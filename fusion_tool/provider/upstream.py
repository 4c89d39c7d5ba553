"""The one place that talks to the provider: a call with a timeout and one retry policy.

Wraps either an ``openai.AsyncOpenAI`` (awaited directly) or an ``openai.OpenAI`` (run on a
worker thread) so the async core serves sync users with their own client, settings and all.
The SDK's own retries are turned off on the clients used here, so exactly one retry loop runs:
408/409/429/5xx and connection errors, ``Retry-After`` honoured, capped backoff with jitter.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fusion_tool.core.errors import UpstreamError
from fusion_tool.core.log import get_logger
from fusion_tool.core.usage import Call
from fusion_tool.provider.dialect import Dialect, ToolCallDeltas, dialect_for

log = get_logger("fusion_tool.provider.upstream")

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
BACKOFF_BASE = 0.5  # seconds before the first retry when the provider says nothing
BACKOFF_CAP = 8.0  # longest backoff we choose ourselves
RETRY_AFTER_CAP = 60.0  # longest Retry-After we honour; longer counts as a failure
#: the SDK's per-request keywords, and the request option each one becomes
_SDK_ONLY = {"extra_headers": "headers", "extra_query": "params", "extra_body": "extra_json"}


def retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date), if any."""
    if headers is None:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


_RNG = random.Random()


def backoff(attempt: int, rng: random.Random = _RNG) -> float:
    """Capped exponential backoff with jitter for retry number ``attempt`` (1-based)."""
    return rng.uniform(0.5, 1.0) * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))


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


class Upstream:
    """Chat completions against one provider, with the retry policy and usage records."""

    def __init__(
        self,
        client: openai.AsyncOpenAI | openai.OpenAI,
        *,
        max_retries: int = 2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.is_async = isinstance(client, openai.AsyncOpenAI)
        self.client = client.with_options(max_retries=0)
        self.max_retries = max_retries
        self._sleep = sleep
        #: what structured output this provider takes, learnt on first use (see judge.py)
        self.response_format_mode: str | None = None
        #: the request shape this provider takes (token cap, roles, content), learnt as it answers
        self.dialect: Dialect = dialect_for(self.base_url)

    @property
    def base_url(self) -> str:
        return str(self.client.base_url)

    async def _create(self, params: dict[str, Any], timeout: float | None) -> Any:
        params = self.dialect.adapt(params)
        # The SDK's own POST rather than ``chat.completions.create``: same client, auth, headers,
        # timeouts, typed errors and result types, without the per-message type transform that
        # was the largest CPU cost of an inner call (benchmarks/), useless on the plain JSON we send.
        body = {k: v for k, v in params.items() if k not in _SDK_ONLY}
        options: dict[str, Any] = {"security": {"bearer_auth": True}}
        if timeout is not None:
            options["timeout"] = timeout
        for sdk_name, option in _SDK_ONLY.items():
            if params.get(sdk_name):
                options[option] = params[sdk_name]
        stream = bool(body.get("stream"))
        if self.is_async:
            return await self.client.post("/chat/completions", body=body, options=options, cast_to=ChatCompletion,
                                          stream=stream, stream_cls=openai.AsyncStream[ChatCompletionChunk])
        return await asyncio.to_thread(self.client.post, "/chat/completions", body=body, options=options,
                                       cast_to=ChatCompletion, stream=stream, stream_cls=openai.Stream[ChatCompletionChunk])

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
                status = _status(exc)
                retryable = status in retry_statuses if status is not None else True
                attempt += 1
                if not retryable or attempt > self.max_retries:
                    raise UpstreamError(_message(exc), status_code=status, model=params.get("model")) from exc
                hinted = retry_after(exc.response.headers) if isinstance(exc, openai.APIStatusError) else None
                if hinted is not None and hinted > RETRY_AFTER_CAP:
                    raise UpstreamError(_message(exc), status_code=status, model=params.get("model")) from exc
                delay = hinted if hinted is not None else backoff(attempt)
                if deadline is not None and time.monotonic() + delay >= deadline:
                    raise UpstreamError(_message(exc), status_code=status, model=params.get("model")) from exc
                log.info("retry", model=params.get("model"), status=status, attempt=attempt, delay=round(delay, 3))
                await self._sleep(delay)

    async def complete(
        self,
        stage: str,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        retry_statuses: frozenset[int] = RETRYABLE_STATUSES,
        **params: Any,
    ) -> tuple[ChatCompletion, Call]:
        """One non-streaming completion (retried as the policy says) and its usage record.

        ``deadline`` is a ``time.monotonic()`` instant no retry may wait past.
        """
        started = time.monotonic()
        completion = await self._with_retries(
            params, timeout=timeout, deadline=deadline, retry_statuses=retry_statuses
        )
        self.dialect.learn_from_completion(params, completion)
        call = Call.from_usage(stage, params["model"], completion.usage, time.monotonic() - started)
        return completion, call

    async def stream(
        self, *, timeout: float | None = None, deadline: float | None = None, **params: Any
    ) -> AsyncIterator[ChatCompletionChunk]:
        """A streaming completion; retried only until the stream opens, never after its first byte."""
        params = {**params, "stream": True}
        stream = await self._with_retries(
            params, timeout=timeout, deadline=deadline, retry_statuses=RETRYABLE_STATUSES
        )
        repair = ToolCallDeltas()  # some servers repeat a tool call's name in every delta
        try:
            if self.is_async:
                async for chunk in stream:
                    yield repair(chunk)
            else:
                iterator = iter(stream)
                done = object()
                while (chunk := await asyncio.to_thread(next, iterator, done)) is not done:
                    yield repair(chunk)
        except (openai.APIError, openai.APIConnectionError) as exc:
            raise UpstreamError(_message(exc), status_code=_status(exc), model=params.get("model")) from exc
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result


def _remaining(timeout: float | None, deadline: float | None) -> float | None:
    if deadline is None:
        return timeout
    left = max(0.001, deadline - time.monotonic())
    return left if timeout is None else min(timeout, left)
