"""Your own tool loop, with fusion beside a tool of yours. No key needed: it runs against the
scripted provider unless FUSION_BASE_URL / OPENROUTER_API_KEY point at a real one.

    python examples/raw_loop.py
"""

from __future__ import annotations

import json
import os

import openai

from fusion_tool import FusionConfig, wrap_openai

QUESTION = ("Survey the evidence on whether four-day work weeks keep productivity, where the studies "
            "disagree, and what our 30-person Oslo office should try first given today's weather.")
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def get_weather(city: str) -> dict:
    return {"city": city, "temp_c": 3, "sky": "overcast"}


def loop(client, model: str) -> str:
    messages = [{"role": "user", "content": QUESTION}]
    while True:
        completion = client.chat.completions.create(
            model=model, messages=messages, tools=[WEATHER, {"type": "openrouter:fusion"}])
        message = completion.choices[0].message
        if not message.tool_calls:
            return message.content
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:  # only your own tools reach you; fusion runs inside
            result = get_weather(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})


def scripted():
    """A stand-in provider: the agent calls fusion, then the weather tool, then answers."""
    from fusion_tool.testing import Reply, ScriptedProvider, ToolCall

    def agent(req):
        tools_seen = [m for m in req.messages if m["role"] == "tool"]
        if "fusion" in req.tool_names and not tools_seen:
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
        if not any("temp_c" in m["content"] for m in tools_seen):
            return Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"})])
        fused = next(json.loads(m["content"]) for m in tools_seen if '"status"' in m["content"])
        return Reply(text=f"Trial a four-day week in Oslo (3 C, overcast). Fusion said: {fused['status']}, "
                          f"{len(fused['responses'])} panel answers.")

    def judge(req):
        return Reply(json={"consensus": ["Productivity mostly holds"], "contradictions": [],
                           "partial_coverage": [], "unique_insights": [], "blind_spots": ["Shift work"]})

    return ScriptedProvider({"agent": agent, "panel/a": "Trials in the UK held output.",
                             "panel/b": "Effects vary by sector.", "judge": judge})


def main() -> str:
    if os.environ.get("FUSION_BASE_URL") or os.environ.get("OPENROUTER_API_KEY"):
        config = FusionConfig.from_env()
        client = wrap_openai(openai.OpenAI(base_url=config.base_url, api_key=config.api_key), config=config)
        return loop(client, os.environ.get("FUSION_AGENT_MODEL", "openai/gpt-5-mini"))
    provider = scripted()
    config = FusionConfig(panel=("panel/a", "panel/b"), judge="judge", tools=())
    return loop(wrap_openai(provider.openai(), config=config), "agent")


if __name__ == "__main__":
    print(main())
