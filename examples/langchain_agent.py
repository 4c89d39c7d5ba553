"""A LangChain chat model with the fusion tool bound, in a minimal agent loop.
No key needed: it runs against the scripted provider on loopback.

    python examples/langchain_agent.py
"""

from __future__ import annotations

from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from fusion_tool import FusionConfig, should_deliberate
from fusion_tool.langchain import FusionTool
from fusion_tool.testing import Reply, ScriptedProvider, ToolCall

QUESTION = ("Compare the evidence for and against daily low-dose aspirin for primary prevention in "
            "adults over 60, and where the major guidelines disagree.")


def agent(req):
    if not any(m["role"] == "tool" for m in req.messages):
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
    return Reply(text="Guidelines now advise against routine use over 60; bleeding risk offsets the benefit.")


def main() -> str:
    provider = ScriptedProvider({
        "agent": agent, "panel/a": "USPSTF 2022 advises against starting over 60.",
        "panel/b": "ESC allows it in high-risk patients.", "judge": Reply(json={
            "consensus": ["Bleeding risk rises with age"], "contradictions": [], "partial_coverage": [],
            "unique_insights": [], "blind_spots": []}),
    })
    with provider.serve() as base_url:
        tool = FusionTool(config=FusionConfig(base_url=base_url, api_key="k", panel=("panel/a", "panel/b"),
                                              judge="judge", tools=()))
        llm = ChatOpenAI(model="agent", base_url=base_url, api_key="k")
        messages = [HumanMessage(QUESTION)]
        # offer fusion only when the gate says the turn deserves it
        tools = [tool] if should_deliberate([{"role": "user", "content": QUESTION}]).deliberate else []
        bound = llm.bind_tools(tools)
        while True:
            reply = bound.invoke(messages)
            messages.append(reply)
            if not reply.tool_calls:
                return reply.content
            for call in reply.tool_calls:
                messages.append(tool.invoke(call))


if __name__ == "__main__":
    print(main())
