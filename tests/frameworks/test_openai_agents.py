"""The OpenAI Agents SDK on Chat Completions, fused: in process (``wrap_openai``) and through the
proxy, with a function tool of the user's, in alias and tool mode, whole and streamed.

(The SDK's Responses model needs ``/v1/responses``; it is not covered here.)
"""

from __future__ import annotations

import pytest

from fusion_tool import wrap_openai

from .conftest import (
    AGENT,
    AGENT_ANSWER,
    FUSION_PLUGIN,
    HARD,
    LOOKUP_RESULT,
    PLAIN,
    PLAIN_ANSWER,
    WRITER_ANSWER,
    assert_fused,
    first_request_of,
    need,
    panel_requests,
)

agents = need("agents")
from agents import (
    Agent,
    ModelSettings,
    MultiProvider,
    OpenAIChatCompletionsModel,
    RunConfig,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from agents.exceptions import UserError

set_tracing_disabled(True)  # the SDK's tracer would export to OpenAI's servers
FUSION = "openrouter/fusion"


class Lookups:
    """The user's own function tool, and what it was called with."""

    def __init__(self) -> None:
        self.queries: list[str] = []

        @function_tool
        def lookup(q: str) -> str:
            """Look up a fact about the company."""
            self.queries.append(q)
            return LOOKUP_RESULT

        self.tool = lookup


def make_agent(client, model: str, lookups: Lookups, **settings) -> Agent:
    return Agent(name="assistant", instructions="Answer well.", tools=[lookups.tool],
                 model=OpenAIChatCompletionsModel(model=model, openai_client=client),
                 model_settings=ModelSettings(**settings))


async def run(agent: Agent, how: str, **kwargs) -> str:
    if how == "run":
        return (await Runner.run(agent, HARD, **kwargs)).final_output
    streamed = Runner.run_streamed(agent, HARD, **kwargs)
    events = [event async for event in streamed.stream_events()]
    assert any(e.type == "raw_response_event" for e in events)
    return streamed.final_output


@pytest.mark.parametrize("how", ["run", "run_streamed"])
async def test_alias_the_writer_calls_the_users_tool_and_the_agent_finishes(world, config, how):
    lookups = Lookups()
    agent = make_agent(wrap_openai(world.async_openai(), config=config), FUSION, lookups)
    assert await run(agent, how) == WRITER_ANSWER
    assert lookups.queries == ["company size"]
    assert_fused(world)  # the turn with the tool result continued, without a second panel


@pytest.mark.parametrize("how", ["run", "run_streamed"])
async def test_tool_mode_through_the_fusion_plugin_in_extra_body(world, config, how):
    """The Agents SDK sends only function tools; the plugin turns fusion on beside them."""
    lookups = Lookups()
    agent = make_agent(wrap_openai(world.async_openai(), config=config), AGENT, lookups,
                       extra_body={"plugins": [FUSION_PLUGIN]})
    assert await run(agent, how) == AGENT_ANSWER
    assert lookups.queries == ["company size"]
    assert_fused(world)
    assert first_request_of(world, AGENT).tool_names == ["lookup", "fusion"]
    last = world.requests_for(AGENT)[-1]  # the continuation carries the fusion exchange back
    assert [m["role"] for m in last.messages].count("tool") == 2


async def test_tool_mode_through_plugins_in_extra_args(world, config):
    """``extra_args`` become keywords of ``create``: the wrapper's ``plugins=``."""
    lookups = Lookups()
    agent = make_agent(wrap_openai(world.async_openai(), config=config), AGENT, lookups,
                       extra_args={"plugins": [FUSION_PLUGIN]})
    assert await run(agent, "run") == AGENT_ANSWER
    assert_fused(world)


def test_run_sync(world, config):
    lookups = Lookups()
    agent = make_agent(wrap_openai(world.async_openai(), config=config), FUSION, lookups)
    assert Runner.run_sync(agent, HARD).final_output == WRITER_ANSWER
    assert_fused(world)


async def test_the_model_as_a_string_needs_unknown_prefix_mode(world, config):
    """``Agent(model="openrouter/fusion")``: the default provider reads ``openrouter/`` as a
    provider prefix it does not know; ``unknown_prefix_mode="model_id"`` sends the whole string."""
    client = wrap_openai(world.async_openai(), config=config)
    agent = Agent(name="assistant", instructions="Answer well.", model=FUSION)
    with pytest.raises(UserError, match="Unknown prefix"):
        await Runner.run(agent, HARD, run_config=RunConfig(model_provider=MultiProvider(
            openai_client=client, openai_use_responses=False)))
    provider = MultiProvider(openai_client=client, openai_use_responses=False, unknown_prefix_mode="model_id")
    result = await Runner.run(agent, HARD, run_config=RunConfig(model_provider=provider))
    assert result.final_output == WRITER_ANSWER
    assert_fused(world)


@pytest.mark.parametrize("how", ["run", "run_streamed"])
async def test_pass_through(world, config, how):
    lookups = Lookups()
    agent = make_agent(wrap_openai(world.async_openai(), config=config), PLAIN, lookups)
    assert await run(agent, how) == PLAIN_ANSWER
    assert panel_requests(world) == []


@pytest.mark.parametrize("how", ["run", "run_streamed"])
async def test_through_the_proxy(world, proxy_url, how):
    import openai

    client = openai.AsyncOpenAI(base_url=proxy_url, api_key="anything")
    lookups = Lookups()
    assert await run(make_agent(client, FUSION, lookups), how) == WRITER_ANSWER
    assert_fused(world)
    world.reset()
    agent = make_agent(client, AGENT, lookups, extra_body={"plugins": [FUSION_PLUGIN]})
    assert await run(agent, how) == AGENT_ANSWER
    assert_fused(world)
    assert lookups.queries == ["company size", "company size"]
    world.reset()
    assert await run(make_agent(client, PLAIN, lookups), how) == PLAIN_ANSWER
    assert panel_requests(world) == []
