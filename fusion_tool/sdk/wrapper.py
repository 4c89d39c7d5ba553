"""``wrap_openai``: the SDK client you already have, with fusion, on every path of the SDK.

The wrapped client is a copy of yours (same class, so ``isinstance`` checks in frameworks hold)
whose HTTP client goes through the seam (:mod:`fusion_tool.sdk.seam`): fused requests are
served in process by the proxy's own app, everything else leaves through your original HTTP
client unchanged. So ``create``, ``parse``, ``with_raw_response``, ``with_streaming_response``,
``stream()``, ``with_options(...)`` and every framework that drives the SDK are fused by
construction, and the SDK's sentinels (``omit``, ``NOT_GIVEN``) are the SDK's own business.

What the SDK's signatures cannot take is added here: the ``plugins=`` keyword (sent in the body,
as ``extra_body={"plugins": [...]}`` would be).
"""

from __future__ import annotations

import functools
from typing import Any

import httpx2
import openai

from fusion_tool.core.config import FusionConfig
from fusion_tool.core.events import Listener
from fusion_tool.provider.http import transport_client
from fusion_tool.proxy.embedded import embedded_app
from fusion_tool.sdk.seam import FusionTransport, SyncFusionTransport

#: the resource methods that take ``plugins=``
_PLUGIN_METHODS = ("create", "parse", "stream")


def _accept_plugins(resource: Any) -> None:
    """Let ``resource``'s methods take ``plugins=``, carried in the body like ``extra_body``."""
    for name in _PLUGIN_METHODS:
        method = getattr(resource, name, None)
        if method is None:
            continue

        @functools.wraps(method)
        def call(*args: Any, __method: Any = method, plugins: Any = None, **kwargs: Any) -> Any:
            if plugins is not None:
                kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), "plugins": plugins}
            return __method(*args, **kwargs)

        setattr(resource, name, call)


@functools.cache
def _fused_class(cls: type) -> type:
    """A subclass of the caller's client class whose ``chat.completions`` and ``responses`` take
    ``plugins=``; its copies (``with_options``) are of the same class and share the seam."""

    class Fused(cls):  # type: ignore[misc, valid-type]
        @functools.cached_property
        def chat(self) -> Any:
            chat = super().chat
            _accept_plugins(chat.completions)
            return chat

        @functools.cached_property
        def responses(self) -> Any:
            responses = super().responses
            _accept_plugins(responses)
            return responses

        @property
        def unwrapped(self) -> Any:
            """The client that was wrapped."""
            return self._client._fusion_unwrapped  # type: ignore[attr-defined]

        @property
        def fusion_config(self) -> FusionConfig:
            return self._client._fusion_config  # type: ignore[attr-defined]

        def __repr__(self) -> str:
            return f"wrap_openai({self.unwrapped!r})"

    Fused.__name__ = Fused.__qualname__ = cls.__name__
    return Fused


def wrap_openai(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    config: FusionConfig | None = None,
    on_event: Listener | None = None,
) -> Any:
    """Wrap an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client (``AzureOpenAI`` too) with fusion.

    Returns a client of the same class: the aliases ``openrouter/fusion`` and
    ``openrouter/fusion-flash``, the ``openrouter:fusion`` tool and the fusion plugin work on
    every method; everything else reaches your provider as it would without fusion.
    ``config`` defaults to :meth:`FusionConfig.from_env` (panel, judge, timeouts); the provider
    is the wrapped client's own. ``on_event`` receives progress events (see ``core.events``).
    """
    if not isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        raise TypeError(f"wrap_openai() takes an openai.OpenAI or openai.AsyncOpenAI client, not {type(client).__name__}")
    original = getattr(client, "unwrapped", client)  # wrapping twice fuses once
    config = config or FusionConfig.from_env()
    app = embedded_app(config, original, on_event)
    http: httpx2.AsyncClient | httpx2.Client
    if isinstance(original, openai.AsyncOpenAI):
        http = transport_client(FusionTransport(app, original._client, config))
    else:
        http = transport_client(SyncFusionTransport(app, original._client, config))
    http._fusion_unwrapped = original  # type: ignore[attr-defined]
    http._fusion_config = config  # type: ignore[attr-defined]
    http._fusion_runtime = app.runtime  # type: ignore[attr-defined]
    wrapped = original.copy(http_client=http)
    wrapped.__class__ = _fused_class(type(original))
    return wrapped
