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

import json
from typing import Any

import openai
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field, PrivateAttr

from fusion_tool.core import schemas
from fusion_tool.core import sync as _runner
from fusion_tool.core.config import FusionConfig
from fusion_tool.pipeline.fuse import FusionResult, run, tools_factory
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
    client: Any = None  # openai.AsyncOpenAI or openai.OpenAI; None: built from config
    _upstream: Upstream | None = PrivateAttr(default=None)

    @classmethod
    def from_env(cls, **kwargs: Any) -> FusionTool:
        """The tool with ``FUSION_*`` settings (provider, panel, judge)."""
        return cls(config=FusionConfig.from_env(), **kwargs)

    def _get_upstream(self) -> Upstream:
        if self._upstream is None:
            client = self.client if isinstance(self.client, (openai.AsyncOpenAI, openai.OpenAI)) else None
            self._upstream = Upstream.for_config(self.config, client)
        return self._upstream

    async def _fuse(self, prompt: str) -> tuple[str, FusionResult]:
        result = await run(prompt, self._get_upstream(), self.config, tools_factory=tools_factory(self.config))
        return json.dumps(result.tool_result(), ensure_ascii=False), result

    async def _arun(self, prompt: str, **_: Any) -> tuple[str, FusionResult]:
        return await self._fuse(prompt)

    def _run(self, prompt: str, **_: Any) -> tuple[str, FusionResult]:
        return _runner.run(self._fuse(prompt))
