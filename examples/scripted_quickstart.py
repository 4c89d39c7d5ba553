"""A fused call with no key: the real openai SDK against fusion_tool.testing's scripted provider.

    python examples/scripted_quickstart.py
"""

import json

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.testing import Reply, ScriptedProvider

ANALYSIS = {
    "consensus": ["Rust and Go both compile to fast native binaries"],
    "contradictions": [{"topic": "learning curve", "stances": [
        {"model": "Response 1", "stance": "Rust is much harder"},
        {"model": "Response 2", "stance": "the gap closes after a month"}]}],
    "partial_coverage": [],
    "unique_insights": [{"model": "Response 2", "insight": "Go's GC pauses matter for tail latency"}],
    "blind_spots": ["hiring market"],
}


def judge(request):
    if any(m.get("role") == "tool" for m in request.messages):  # the writer's turn
        return "Pick Go for a small team shipping network services fast; Rust where latency tails matter."
    return Reply(json=ANALYSIS)


provider = ScriptedProvider({
    "panel/a": "Rust: no GC, steep learning curve.",
    "panel/b": "Go: simple, fast to learn; GC pauses can hurt p99.",
    "judge/j": judge,
})
with provider.serve() as base_url:  # a real loopback server; provider.openai() works in process too
    import openai

    client = wrap_openai(
        openai.OpenAI(base_url=base_url, api_key="no-key-needed"),
        config=FusionConfig(panel=("panel/a", "panel/b"), judge="judge/j", tools=()),
    )
    completion = client.chat.completions.create(
        model="openrouter/fusion",
        messages=[{"role": "user", "content": "Should our team of four build its new API in Rust or Go?"}],
    )
print(completion.choices[0].message.content)
print(json.dumps(completion.fusion["analysis"]["contradictions"], indent=2))
print(f"{completion.usage.total_tokens} tokens, ${completion.usage.cost:.6f}, {len(completion.fusion['calls'])} calls")
