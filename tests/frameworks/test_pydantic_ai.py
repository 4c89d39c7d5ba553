"""pydantic-ai's ``OpenAIChatModel``, fused: in process (``wrap_openai``) and through the proxy,
with a tool of the user's, in alias and tool mode, text and structured output, whole and
streamed, async and ``run_sync``."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from fusion_tool import wrap_openai

from .conftest import (
    AGENT,
    AGENT_ANSWER,
    FUSION_PLUGIN,
    HARD,
    LOOKUP_RESULT,
    PLAIN,
    PLAIN_ANSWER,
    VERDICT,
    WRITER_ANSWER,
    assert_fused,
    first_request_of,
    need,
    panel_requests,
)

need("pydantic_ai")
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIChatModelSettings
from pydantic_ai.providers.openai import OpenAIProvider

FUSION = "openrouter/fusion"
TOOL_MODE = OpenAIChatModelSettings(extra_body={"plugins": [FUSION_PLUGIN]})


class Verdict(BaseModel):
    answer: str
    confidence: float


def make_agent(provider: OpenAIProvider, model: str, output_type=str, settings=None) -> tuple[Agent, list[str]]:
    """An agent with the user's ``lookup`` tool; returns it and the tool's calls."""
    queries: list[str] = []
    agent = Agent(OpenAIChatModel(model, provider=provider, settings=settings), output_type=output_type,
                  instructions="Answer well.")

    @agent.tool_plain
    def lookup(q: str) -> str:
        """Look up a fact about the company."""
        queries.append(q)
        return LOOKUP_RESULT

    return agent, queries


def in_process(world, config) -> OpenAIProvider:
    return OpenAIProvider(openai_client=wrap_openai(world.async_openai(), config=config))


async def run(agent: Agent, how: str):
    if how == "run":
        return (await agent.run(HARD)).output
    async with agent.run_stream(HARD) as streamed:
        return await streamed.get_output()


@pytest.mark.parametrize("how", ["run", "run_stream"])
async def test_alias_the_writer_calls_the_users_tool(world, config, how):
    agent, queries = make_agent(in_process(world, config), FUSION)
    assert await run(agent, how) == WRITER_ANSWER
    assert queries == ["company size"]
    assert_fused(world)  # the turn of tool results continued without a second panel


@pytest.mark.parametrize("how", ["run", "run_stream"])
async def test_tool_mode_through_the_plugin_in_extra_body(world, config, how):
    agent, queries = make_agent(in_process(world, config), AGENT, settings=TOOL_MODE)
    assert await run(agent, how) == AGENT_ANSWER
    assert queries == ["company size"]
    assert_fused(world)
    assert first_request_of(world, AGENT).tool_names == ["lookup", "fusion"]


@pytest.mark.parametrize("model", [FUSION, AGENT])
async def test_structured_output_through_the_output_tool(world, config, model):
    agent, queries = make_agent(in_process(world, config), model, output_type=Verdict,
                                settings=TOOL_MODE if model == AGENT else None)
    assert await run(agent, "run") == Verdict(**VERDICT)
    assert queries == ["company size"]
    assert_fused(world)


async def test_structured_output_as_a_response_format(world, config):
    """``NativeOutput``: the schema travels as ``response_format``, which the writer follows."""
    agent, _ = make_agent(in_process(world, config), FUSION, output_type=NativeOutput(Verdict))
    assert await run(agent, "run") == Verdict(**VERDICT)
    assert_fused(world)
    writer = world.requests_for("judge/j")[-1]
    assert writer.response_format["type"] == "json_schema"


def test_run_sync(world, config):
    agent, queries = make_agent(in_process(world, config), FUSION)
    assert agent.run_sync(HARD).output == WRITER_ANSWER
    assert queries == ["company size"]
    assert_fused(world)


async def test_pass_through(world, config):
    agent, _ = make_agent(in_process(world, config), PLAIN)
    assert await run(agent, "run") == PLAIN_ANSWER
    assert panel_requests(world) == []


@pytest.mark.parametrize("how", ["run", "run_stream"])
async def test_through_the_proxy(world, proxy_url, how):
    provider = OpenAIProvider(base_url=proxy_url, api_key="anything")
    agent, queries = make_agent(provider, FUSION)
    assert await run(agent, how) == WRITER_ANSWER
    assert_fused(world)
    world.reset()
    agent, queries = make_agent(provider, AGENT, output_type=Verdict, settings=TOOL_MODE)
    assert await run(agent, how) == Verdict(**VERDICT)
    assert queries == ["company size"]
    assert_fused(world)
    world.reset()
    agent, _ = make_agent(provider, PLAIN)
    assert await run(agent, how) == PLAIN_ANSWER
    assert panel_requests(world) == []
