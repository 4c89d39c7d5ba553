"""The values a scripted behaviour reads and returns: `ScriptedRequest`, `Reply`, `ToolCall`.

A *behaviour* is what `ScriptedProvider` runs for one model. It is one of:

- a function `fn(request: ScriptedRequest) -> Reply | str | dict` (plain or `async def`);
- a fixed `str` (the assistant's text), a fixed `Reply`, or a fixed `dict` (a raw JSON body);
- a list of any of the above: the n-th request for the model gets the n-th item, and the last
  item repeats once the list is used up (`[Reply(status=500), "ok"]` fails once, then answers).

What a function returns is read the same way: a `str` is the assistant's text, a `dict` is sent
as the whole response body unchanged (for imitating odd providers), a `Reply` says everything
else. A function that raises makes the provider answer HTTP 500 with the exception's text.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from fusion_tool.core.transcript import text_of

__all__ = [
    "Behaviour",
    "Reply",
    "ReplyLike",
    "ScriptedRequest",
    "ToolCall",
    "message_text",
]

DEFAULT_CHUNK_SIZE = 8
"""Characters per streamed content delta (and per tool-call arguments fragment)."""


@dataclass(frozen=True)
class ToolCall:
    """One function call the scripted assistant makes.

    `arguments` may be a JSON string (sent as is, even if it is not valid JSON: useful to test
    how a client copes with a model's broken arguments) or any JSON-able value (encoded with
    `json.dumps`). When `id` is None the provider makes a deterministic one:
    `call_<request index>_<position of the call>`.

    Attributes:
        name: the function's name.
        arguments: the arguments, a JSON string or a JSON-able value.
        id: the call's id; None: a deterministic one.
    """

    name: str
    arguments: str | dict[str, Any] | list[Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class Reply:
    """What the scripted provider answers to one request. Every field is optional.

    Attributes:
        text: the assistant's message content.
        json: shorthand for `text=json.dumps(json)`, for judges and other JSON-mode callers.
        tool_calls: function calls the assistant makes (`finish_reason` becomes "tool_calls").
        message_extra: extra keys merged into the assistant message (and into the first
            streamed delta), e.g. `{"annotations": [...]}` or `{"reasoning": "..."}`.
        finish_reason: overrides the computed "stop" / "tool_calls".
        usage: the `usage` object to report; when None it is computed from word counts and
            `ScriptedProvider.prices` (see `ScriptedProvider`).
        status: the HTTP status. Anything >= 400 is sent as an error with the OpenAI envelope
            `{"error": {"message", "type", "code", "param"}}`.
        error: the error message; setting it on a reply whose status is below 400 makes the
            status 500.
        error_type: overrides the envelope's `type`.
        error_code: overrides the envelope's `code`.
        headers: extra response headers, for errors and successes alike
            (`Reply(status=429, headers={"Retry-After": "1"})`).
        delay: seconds to wait before the response starts.
        hang: never answer; wait until the client goes away.
        chunk_delay: seconds between streamed chunks.
        chunk_size: characters per streamed content delta and per tool-argument fragment.

    The waits (`delay`, `hang`, `chunk_delay`) are all cancellable: a client that gives up
    is seen as `ScriptedRequest.cancelled`.
    """

    text: str | None = None
    tool_calls: list[ToolCall] | None = None
    json: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    delay: float = 0.0
    hang: bool = False
    usage: dict[str, Any] | None = None
    chunk_delay: float = 0.0
    chunk_size: int = DEFAULT_CHUNK_SIZE
    finish_reason: str | None = None
    message_extra: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if self.delay < 0 or self.chunk_delay < 0:
            raise ValueError("delay and chunk_delay cannot be negative")
        if self.text is not None and self.json is not None:
            raise ValueError("give either text or json, not both")

    @property
    def is_error(self) -> bool:
        """True when this reply is sent as an HTTP error."""
        return self.status >= 400 or self.error is not None

    @property
    def error_status(self) -> int:
        """The HTTP status an error reply is sent with."""
        return self.status if self.status >= 400 else 500


ReplyLike: TypeAlias = Reply | str | dict[str, Any]
"""What a behaviour function may return."""

BehaviourFn: TypeAlias = Callable[["ScriptedRequest"], ReplyLike | Awaitable[ReplyLike]]
Behaviour: TypeAlias = BehaviourFn | ReplyLike | Sequence[BehaviourFn | ReplyLike]
"""What `ScriptedProvider` accepts for a model (see the module docstring)."""


class _Status:
    """The mutable, thread-safe outcome of one request (shared by a frozen ScriptedRequest)."""

    def __init__(self) -> None:
        self.cancelled = False
        self.completed = False
        self.status_code: int | None = None
        self.exception: BaseException | None = None
        self.usage: dict[str, Any] | None = None
        self.finished = threading.Event()

    def finish(self, *, completed: bool) -> None:
        if self.finished.is_set():
            return
        self.completed = completed
        self.cancelled = not completed
        self.finished.set()


@dataclass(frozen=True)
class ScriptedRequest:
    """One chat-completion request the provider received, as a behaviour and a test see it.

    Attributes:
        model: the requested model.
        messages: the request's `messages`, as sent.
        body: the whole JSON body.
        headers: request headers, keys in lower case.
        stream: whether the client asked for a stream.
        tools: the request's `tools` (empty list when none).
        response_format: the request's `response_format`, or None.
        attempt: 1 for the first request this provider received for this model with this exact
            `messages` list, 2 for the second, and so on; lets a behaviour fail once, then
            succeed (`ScriptedProvider.reset` starts the count again).
        index: the request's arrival number since the last reset, from 0; also its position
            in `ScriptedProvider.requests`.
        api: `chat` (`POST /chat/completions`) or `responses` (`POST /responses`, whose
            `instructions` and `input` are read into `messages` as a chat transcript; `body` is
            the Responses body as sent).
        received_at: `time.monotonic()` when the request arrived (to measure gaps, such as a
            client's back-off between two attempts).

    The outcome, filled in while the response is sent and safe to read from any thread:
    `cancelled` (the client went away first), `completed` (the whole response was sent),
    `status_code`, `usage` (as reported to the client), `exception` (what the behaviour
    raised, if it did), `wait_finished(timeout)` and `await_finished(timeout)`.
    """

    model: str
    messages: list[dict[str, Any]]
    body: dict[str, Any]
    headers: dict[str, str]
    stream: bool
    tools: list[dict[str, Any]]
    response_format: dict[str, Any] | None
    attempt: int
    index: int
    api: str = "chat"
    received_at: float = field(default_factory=time.monotonic, compare=False)
    _status: _Status = field(default_factory=_Status, repr=False, compare=False)

    @property
    def cancelled(self) -> bool:
        """True when the client went away before the response was complete."""
        return self._status.cancelled

    @property
    def completed(self) -> bool:
        """True when the whole response (success or error) was sent."""
        return self._status.completed

    @property
    def status_code(self) -> int | None:
        """The HTTP status answered, once the response has started."""
        return self._status.status_code

    @property
    def usage(self) -> dict[str, Any] | None:
        """The `usage` object the provider answered with (None for errors, or before)."""
        return self._status.usage

    @property
    def exception(self) -> BaseException | None:
        """The exception the behaviour raised (answered as HTTP 500), if any."""
        return self._status.exception

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Block until the request is completed or cancelled; False if `timeout` passed first."""
        return self._status.finished.wait(timeout)

    async def await_finished(self, timeout: float | None = None) -> bool:
        """Like `wait_finished`, for async code: polls without blocking the event loop.

        Use this (not `wait_finished`) when the provider is served in the same event loop,
        as with `ScriptedProvider.aserve` or the in-process async client.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._status.finished.is_set():
            if deadline is not None and loop.time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    @property
    def last_user_text(self) -> str:
        """The text of the last user message ("" when there is none)."""
        for message in reversed(self.messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_text(message)
        return ""

    @property
    def system_text(self) -> str:
        """The text of every system (or developer) message, joined by blank lines."""
        parts = [
            message_text(m)
            for m in self.messages
            if isinstance(m, dict) and m.get("role") in ("system", "developer")
        ]
        return "\n\n".join(p for p in parts if p)

    @property
    def tool_names(self) -> list[str]:
        """The names of the function tools offered in the request (Chat Completions' nested
        shape, or the Responses API's flat one)."""
        names = []
        for tool in self.tools:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                names.append(function["name"])
            elif isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("name"), str):
                names.append(tool["name"])
        return names


def message_text(message: dict[str, Any]) -> str:
    """The text of a message whose ``content`` is a string or a list of content parts."""
    return text_of(message.get("content"))
