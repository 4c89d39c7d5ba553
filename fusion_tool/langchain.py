"""LangChain: fusion as a tool any LangChain agent can bind.

    from langchain_openai import ChatOpenAI
    from fusion_tool.langchain import FusionTool

    tool = FusionTool.from_env()                       # or FusionTool(client=AsyncOpenAI(...), config=...)
    llm = ChatOpenAI(model="openai/gpt-5-mini").bind_tools([tool])

The tool runs the one pipeline (panel, then judge) and returns the tool result JSON, with the
result object as the artifact. Bind it only on turns that deserve it:
``should_deliberate(messages).deliberate`` is the same gate tool mode uses.
Needs the ``[langchain]`` extra (``langchain-core``).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import openai
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field, PrivateAttr

from fusion_tool.core import schemas
from fusion_tool.core import sync as _runner
from fusion_tool.core.config import FusionConfig
from fusion_tool.pipeline.fuse import FusionResult, run, tools_factory
from fusion_tool.provider.http import provider_client
from fusion_tool.provider.upstream import Upstream

_SPEC = schemas.load("fusion_tool")["function"]


class FusionArgs(BaseModel):
    prompt: str = Field(description=_SPEC["parameters"]["properties"]["prompt"]["description"])


class FusionTool(BaseTool):
    """The ``fusion`` tool: a panel of models and a judge, as one LangChain tool call."""

    name: str = "fusion"
    description: str = _SPEC["description"]
    args_schema: type[BaseModel] = FusionArgs
    response_format: str = "content_and_artifact"
    config: FusionConfig = Field(default_factory=FusionConfig.from_env)
    client: Any = None  # openai.AsyncOpenAI or openai.OpenAI; None: built from config, per call
    _home: Any = PrivateAttr(default=None)  # the event loop a given AsyncOpenAI belongs to

    @classmethod
    def from_env(cls, **kwargs: Any) -> FusionTool:
        """The tool with ``FUSION_*`` settings (provider, panel, judge)."""
        return cls(config=FusionConfig.from_env(), **kwargs)

    def _upstream(self) -> Upstream:
        """An upstream for the running event loop. LangChain runs a tool on whatever loop or
        thread it has (``invoke`` on a private loop, ``ainvoke`` on the caller's, a new one per
        ``asyncio.run``), and an async HTTP pool works only on the loop that opened it: so a client
        made from the config is made per call (and closed after it); a given ``AsyncOpenAI`` is
        used on its own loop (the first one it ran on) and, on any other, a copy with the same
        settings and a pool of its own; a sync ``OpenAI`` works on any loop (worker threads)."""
        client = self.client
        if isinstance(client, openai.OpenAI):
            return Upstream.for_config(self.config, client)
        if not isinstance(client, openai.AsyncOpenAI):
            return Upstream.for_config(self.config)
        loop = asyncio.get_running_loop()
        if self._home is None:
            self._home = weakref.ref(loop)
        if self._home() is loop:
            return Upstream.for_config(self.config, client)
        return Upstream.for_config(self.config, client.copy(http_client=provider_client()), own=True)

    async def _fuse(self, prompt: str) -> tuple[str, FusionResult]:
        upstream = self._upstream()
        try:
            result = await run(prompt, upstream, self.config, tools_factory=tools_factory(self.config))
        finally:
            await upstream.aclose()
        return json.dumps(result.tool_result(), ensure_ascii=False), result

    async def _arun(self, prompt: str, **_: Any) -> tuple[str, FusionResult]:
        return await self._fuse(prompt)

    def _run(self, prompt: str, **_: Any) -> tuple[str, FusionResult]:
        return _runner.run(self._fuse(prompt))
