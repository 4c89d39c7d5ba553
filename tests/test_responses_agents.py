"""Agent frameworks on the Responses API, pointed at the proxy: the OpenAI Agents SDK with its
default model, ``OpenAIResponsesModel``, and pydantic-ai's ``OpenAIResponsesModel``; alias mode
and tool mode (the fusion plugin on a real model) beside a function tool of the user's, whole
and streamed."""

from __future__ import annotations

import os
from collections.abc import Iterator

import openai
import pytest

from fusion_tool import FusionConfig
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ScriptedProvider, ToolCall

from .conftest import JUDGE, PANEL, is_writer, judge_behaviour
from .test_responses import AGENT, HARD, LOOKUP_RESULT, calling_model, looked_up, panel_requests

if os.environ.get("CI"):  # CI installs the frameworks: there, a missing one is a failure
    import agents  # noqa: F401
else:
    pytest.importorskip("agents", reason="openai-agents is not installed")

from agents import Agent, ModelSettings, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled  # noqa: E402

set_tracing_disabled(True)  # the SDK's tracer would export to OpenAI's servers
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")

WRITER_ANSWER = "The fused answer, after the lookup."


def judge_and_writer(req):
    """The judge's analysis; as the writer, it calls ``lookup`` once when offered, then answers."""
    if not is_writer(req):
        return judge_behaviour()(req)
    if "lookup" in req.tool_names and not looked_up(req):
        return Reply(tool_calls=[ToolCall("lookup", {"q": "company size"})])
    return Reply(text=WRITER_ANSWER)


@pytest.fixture
def world() -> Iterator[ScriptedProvider]:
    provider = ScriptedProvider({PANEL[0]: "Answer A.", PANEL[1]: "Answer B.", PANEL[2]: "Answer C.",
                                 JUDGE: judge_and_writer, AGENT: calling_model})
    yield provider
    provider.close()


@pytest.fixture
def proxy_url(world) -> Iterator[str]:
    with world.serve() as upstream:
        config = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30,
                              base_url=upstream, api_key="k", max_retries=0)
        with running(create_app(config, keepalive_seconds=0.1)) as url:
            yield url


class Lookups:
    def __init__(self) -> None:
        self.queries: list[str] = []

        @function_tool
        def lookup(q: str) -> str:
            """Look up a fact about the company."""
            self.queries.append(q)
            return LOOKUP_RESULT

        self.tool = lookup


def make_agent(url: str, model: str, lookups: Lookups, **settings) -> Agent:
    client = openai.AsyncOpenAI(base_url=url, api_key="anything", max_retries=0)
    return Agent(name="assistant", instructions="Answer well.", tools=[lookups.tool],
                 model=OpenAIResponsesModel(model=model, openai_client=client),
                 model_settings=ModelSettings(**settings))


def only_chat_upstream(world: ScriptedProvider) -> bool:
    return all(r.api == "chat" for r in world.requests)


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_alias_mode_the_writer_calls_the_users_tool_and_answers(proxy_url, world, streamed):
    lookups = Lookups()
    agent = make_agent(proxy_url, "openrouter/fusion", lookups)
    if streamed:
        result = Runner.run_streamed(agent, HARD)
        async for _ in result.stream_events():
            pass
    else:
        result = await Runner.run(agent, HARD)
    assert result.final_output == WRITER_ANSWER
    assert lookups.queries == ["company size"]
    assert len(panel_requests(world)) == 3  # the continuation did not run a second panel
    writer = [r for r in world.requests_for(JUDGE) if is_writer(r)]
    assert looked_up(writer[-1]) and only_chat_upstream(world)


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_tool_mode_fusion_beside_the_users_tool(proxy_url, world, streamed):
    lookups = Lookups()
    agent = make_agent(proxy_url, AGENT, lookups, extra_body={"plugins": [{"id": "fusion"}]})
    if streamed:
        result = Runner.run_streamed(agent, HARD)
        async for _ in result.stream_events():
            pass
    else:
        result = await Runner.run(agent, HARD)
    assert result.final_output == "Hybrid work: the panel said ok."
    assert lookups.queries == ["company size"]
    assert len(panel_requests(world)) == 3
    last = world.requests_for(AGENT)[-1]
    assert looked_up(last) and "fusion" not in last.tool_names
    assert only_chat_upstream(world)


async def test_a_plain_model_passes_through_to_the_providers_responses(proxy_url, world):
    world.add("plain/m", "A plain answer.")
    result = await Runner.run(make_agent(proxy_url, "plain/m", Lookups()), "hi")
    assert result.final_output == "A plain answer."
    assert world.requests[-1].api == "responses" and not panel_requests(world)


# -- pydantic-ai's Responses model ------------------------------------------------------------------

def pydantic_ai_agent(url: str, model: str, lookups: Lookups, **settings):
    pydantic_ai = pytest.importorskip("pydantic_ai", reason="pydantic-ai is not installed")
    from pydantic_ai.models.openai import OpenAIResponsesModel as PydanticResponsesModel
    from pydantic_ai.models.openai import OpenAIResponsesModelSettings
    from pydantic_ai.providers.openai import OpenAIProvider

    def lookup(q: str) -> str:
        """Look up a fact about the company."""
        lookups.queries.append(q)
        return LOOKUP_RESULT

    chosen = PydanticResponsesModel(model, provider=OpenAIProvider(base_url=url, api_key="anything"),
                                    settings=OpenAIResponsesModelSettings(**settings))
    return pydantic_ai.Agent(chosen, tools=[lookup])


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_stream"])
async def test_pydantic_ai_alias_mode(proxy_url, world, streamed):
    lookups = Lookups()
    agent = pydantic_ai_agent(proxy_url, "openrouter/fusion", lookups)
    if streamed:
        async with agent.run_stream(HARD) as result:
            output = await result.get_output()
    else:
        output = (await agent.run(HARD)).output
    assert output == WRITER_ANSWER and lookups.queries == ["company size"]
    assert len(panel_requests(world)) == 3 and only_chat_upstream(world)


async def test_pydantic_ai_tool_mode(proxy_url, world):
    lookups = Lookups()
    agent = pydantic_ai_agent(proxy_url, AGENT, lookups, extra_body={"plugins": [{"id": "fusion"}]})
    assert (await agent.run(HARD)).output == "Hybrid work: the panel said ok."
    assert lookups.queries == ["company size"] and len(panel_requests(world)) == 3
