"""LangChain 1.x, fused: ``ChatOpenAI`` on wrapped clients (``invoke``, ``ainvoke``, ``stream``,
``astream``, ``with_structured_output``), ``create_agent`` with a tool of the user's in alias and
tool mode, ``create_agent`` with ``FusionTool``, and ``ChatOpenAI`` pointed at the proxy."""

from __future__ import annotations

import asyncio
import json
import threading

import openai
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

need("langchain_openai")
need("langchain.agents")
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from fusion_tool.langchain import FusionTool

FUSION = "openrouter/fusion"
TOOL_MODE = {"extra_body": {"plugins": [FUSION_PLUGIN]}}


class Verdict(BaseModel):
    answer: str
    confidence: float


def fused_chat(world, config, model: str = FUSION, **kwargs) -> ChatOpenAI:
    """The recipe: ChatOpenAI on a wrapped ``OpenAI`` (its sync calls) and a wrapped
    ``AsyncOpenAI`` (its async calls). ChatOpenAI keeps clients it is given and makes none."""
    sync = wrap_openai(world.openai(), config=config)
    aio = wrap_openai(world.async_openai(), config=config)
    return ChatOpenAI(model=model, root_client=sync, client=sync.chat.completions,
                      root_async_client=aio, async_client=aio.chat.completions, **kwargs)


def plain_chat(world, model: str) -> ChatOpenAI:
    sync, aio = world.openai(), world.async_openai()
    return ChatOpenAI(model=model, root_client=sync, client=sync.chat.completions,
                      root_async_client=aio, async_client=aio.chat.completions)


class Lookups:
    def __init__(self) -> None:
        self.queries: list[str] = []

        @tool
        def lookup(q: str) -> str:
            """Look up a fact about the company."""
            self.queries.append(q)
            return LOOKUP_RESULT

        self.tool = lookup


async def call(how: str, runnable, payload):
    if how == "invoke":
        return runnable.invoke(payload)
    return await runnable.ainvoke(payload)


# -- ChatOpenAI on its own -----------------------------------------------------------------------

@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
async def test_invoke(world, config, how):
    message = await call(how, fused_chat(world, config), HARD)
    assert message.content == WRITER_ANSWER
    assert_fused(world)


@pytest.mark.parametrize("how", ["stream", "astream"])
async def test_stream(world, config, how):
    llm = fused_chat(world, config)
    if how == "stream":
        chunks = list(llm.stream(HARD))
    else:
        chunks = [chunk async for chunk in llm.astream(HARD)]
    assert "".join(str(c.content) for c in chunks) == WRITER_ANSWER and len(chunks) > 2
    assert_fused(world)


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
async def test_with_structured_output(world, config, how, method):
    llm = fused_chat(world, config).with_structured_output(Verdict, method=method)
    assert await call(how, llm, HARD) == Verdict(**VERDICT)
    assert_fused(world)


async def test_pass_through(world, config):
    message = await call("ainvoke", fused_chat(world, config, PLAIN), HARD)
    assert message.content == PLAIN_ANSWER
    assert panel_requests(world) == []


# -- create_agent ------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
async def test_create_agent_in_alias_mode_with_the_users_tool(world, config, how):
    lookups = Lookups()
    agent = create_agent(fused_chat(world, config), tools=[lookups.tool])
    state = await call(how, agent, {"messages": [{"role": "user", "content": HARD}]})
    assert state["messages"][-1].content == WRITER_ANSWER
    assert lookups.queries == ["company size"]
    assert_fused(world)  # the turn of tool results continued without a second panel


@pytest.mark.parametrize("how", ["invoke", "ainvoke"])
async def test_create_agent_in_tool_mode_through_the_plugin(world, config, how):
    """LangChain binds only function tools (``{"type": "openrouter:fusion"}`` is refused by
    ``bind_tools``): the fusion plugin in ``extra_body`` turns tool mode on beside them."""
    lookups = Lookups()
    agent = create_agent(fused_chat(world, config, AGENT, **TOOL_MODE), tools=[lookups.tool])
    state = await call(how, agent, {"messages": [{"role": "user", "content": HARD}]})
    assert state["messages"][-1].content == AGENT_ANSWER
    assert lookups.queries == ["company size"]
    assert_fused(world)
    assert first_request_of(world, AGENT).tool_names == ["lookup", "fusion"]


def test_the_fusion_tool_entry_is_not_a_langchain_tool(world, config):
    with pytest.raises(ValueError):
        fused_chat(world, config, AGENT).bind_tools([{"type": "openrouter:fusion"}])


@pytest.mark.parametrize("client", ["sync", "loopback async"])
def test_create_agent_with_fusion_tool_across_loops_and_threads(world, config, client):
    """FusionTool as the agent's tool: ``invoke`` (LangGraph runs the tool on a worker thread),
    then ``ainvoke`` under two ``asyncio.run`` loops, then from another thread."""
    with world.serve() as base_url:
        given = (world.openai() if client == "sync"
                 else openai.AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0))
        agent = create_agent(plain_chat(world, AGENT), tools=[FusionTool(config=config, client=given)])
        payload = {"messages": [{"role": "user", "content": HARD}]}

        def answer(state) -> dict:
            assert state["messages"][-1].content == AGENT_ANSWER
            return json.loads(next(m for m in state["messages"] if m.type == "tool").content)

        results = [answer(agent.invoke(payload)), answer(asyncio.run(agent.ainvoke(payload))),
                   answer(asyncio.run(agent.ainvoke(payload)))]
        thread = threading.Thread(target=lambda: results.append(answer(agent.invoke(payload))))
        thread.start()
        thread.join(30)
    assert [r["status"] for r in results] == ["ok"] * 4
    assert_fused(world, turns=4)


@pytest.mark.xfail(strict=True, reason="FusionTool copies an AsyncOpenAI for another loop with a new "
                   "default http_client: the caller's own http_client (its transport, proxy, TLS) is lost")
def test_fusion_tool_keeps_the_callers_http_client_on_another_loop(world, config):
    tool = FusionTool(config=config, client=world.async_openai())  # in process: a transport of its own
    call = {"type": "tool_call", "id": "c1", "name": "fusion", "args": {"prompt": HARD}}
    results = [json.loads(tool.invoke(call).content), json.loads(asyncio.run(tool.ainvoke(call)).content)]
    assert [r["status"] for r in results] == ["ok", "ok"]


# -- through the proxy ---------------------------------------------------------------------------

async def test_through_the_proxy(world, proxy_url):
    llm = ChatOpenAI(model=FUSION, base_url=proxy_url, api_key="anything")
    assert llm.invoke(HARD).content == WRITER_ANSWER
    assert (await llm.ainvoke(HARD)).content == WRITER_ANSWER
    assert "".join(str(c.content) for c in llm.stream(HARD)) == WRITER_ANSWER
    assert "".join([str(c.content) async for c in llm.astream(HARD)]) == WRITER_ANSWER
    assert await llm.with_structured_output(Verdict).ainvoke(HARD) == Verdict(**VERDICT)
    assert_fused(world, turns=5)
    world.reset()
    lookups = Lookups()
    agent = create_agent(ChatOpenAI(model=AGENT, base_url=proxy_url, api_key="anything", **TOOL_MODE),
                         tools=[lookups.tool])
    state = await agent.ainvoke({"messages": [{"role": "user", "content": HARD}]})
    assert state["messages"][-1].content == AGENT_ANSWER and lookups.queries == ["company size"]
    assert_fused(world)
    world.reset()
    assert ChatOpenAI(model=PLAIN, base_url=proxy_url, api_key="anything").invoke(HARD).content == PLAIN_ANSWER
    assert panel_requests(world) == []
