"""``wrap_openai``: the SDK client you already have, with fusion.

``client.chat.completions.create`` gains the ``openrouter/fusion`` aliases, the
``openrouter:fusion`` tool and the ``plugins`` keyword; every other request and every other
attribute goes to the wrapped client untouched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai

from fusion_tool.core import sync as _runner
from fusion_tool.core.config import FusionConfig
from fusion_tool.core.events import Listener
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import plan
from fusion_tool.modes.serve import include_usage, serve
from fusion_tool.provider.upstream import Upstream
from fusion_tool.sdk.streams import AsyncFusionStream, FusionStream


class _Completions:
    def __init__(self, owner: _Wrapped) -> None:
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner._client.chat.completions, name)


class _SyncCompletions(_Completions):
    def create(self, **kwargs: Any) -> Any:
        owner = self._owner
        p = plan(kwargs, owner.config)
        if p.mode == "pass":
            return owner._client.chat.completions.create(**p.params)
        work = serve(p, owner._upstream, owner._on_event, owner._memory)
        if isinstance(work, AsyncIterator):
            return FusionStream(work, include_usage(p))
        return _runner.run(work)


class _AsyncCompletions(_Completions):
    async def create(self, **kwargs: Any) -> Any:
        owner = self._owner
        p = plan(kwargs, owner.config)
        if p.mode == "pass":
            return await owner._client.chat.completions.create(**p.params)
        work = serve(p, owner._upstream, owner._on_event, owner._memory)
        if isinstance(work, AsyncIterator):
            return AsyncFusionStream(work, include_usage(p))
        return await work


class _Chat:
    def __init__(self, owner: _Wrapped, completions: _Completions) -> None:
        self._owner = owner
        self.completions = completions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner._client.chat, name)


class _Wrapped:
    def __init__(self, client: Any, config: FusionConfig | None, on_event: Listener | None) -> None:
        self._client = client
        self.config = config or FusionConfig.from_env()
        self._on_event = on_event
        self._upstream = Upstream.for_config(self.config, client)
        self._memory = Memory()
        completions = _AsyncCompletions(self) if isinstance(client, openai.AsyncOpenAI) else _SyncCompletions(self)
        self.chat = _Chat(self, completions)

    @property
    def unwrapped(self) -> Any:
        """The client that was wrapped."""
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def __repr__(self) -> str:
        return f"wrap_openai({self._client!r})"


def wrap_openai(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    config: FusionConfig | None = None,
    on_event: Listener | None = None,
) -> Any:
    """Wrap an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client with fusion.

    ``config`` defaults to :meth:`FusionConfig.from_env` (panel, judge, timeouts); the provider
    is the wrapped client's own. ``on_event`` receives progress events (see ``events.Event``).
    """
    if not isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        raise TypeError(f"wrap_openai() takes an openai.OpenAI or openai.AsyncOpenAI client, not {type(client).__name__}")
    return _Wrapped(client, config, on_event)
