"""``fusion-tool demo``: the whole flow against scripted models on loopback, labelled simulated;
then the same question through both doors of the proxy, Chat Completions and Responses."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

from fusion_tool.cli.ask import ALIAS
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest

PANEL = ("sim/alpha", "sim/beta", "sim/gamma")
JUDGE = "sim/judge"

ANSWERS = {
    "sim/alpha": (1.2, "Both work about equally for weight loss when calories match; trials such as "
                  "TREAT (2020) found no extra benefit from time-restricted eating. Adherence decides."),
    "sim/beta": (0.8, "Meta-analyses show similar weight loss; intermittent fasting may help people who "
                 "find daily counting hard, but drop-out rates are comparable."),
    "sim/gamma": (1.6, "Intermittent fasting leads to more fat loss in some small studies, and may improve "
                  "insulin sensitivity; long-term data are thin."),
}

ANALYSIS = {
    "consensus": ["With equal calories, weight loss is about the same", "Adherence matters more than the schedule"],
    "contradictions": [{"topic": "Extra fat loss from fasting", "stances": [
        {"model": "Response 1", "stance": "No extra benefit in trials"},
        {"model": "Response 3", "stance": "More fat loss in some small studies"}]}],
    "partial_coverage": [{"models": ["Response 2"], "point": "Drop-out rates are comparable"}],
    "unique_insights": [{"model": "Response 3", "insight": "Possible insulin-sensitivity effect"}],
    "blind_spots": ["Effects in people with diabetes or eating disorders"],
}

FINAL = (
    "For weight loss, intermittent fasting and daily calorie restriction perform about the same "
    "when total calories match; randomised trials find no reliable extra benefit from the eating "
    "window itself. Choose the pattern you can keep to. Some small studies suggest extra fat loss "
    "or better insulin sensitivity with fasting, but the evidence is thin, and neither approach has "
    "been studied well in people with diabetes or a history of eating disorders: ask a clinician first."
)


def _panelist(model: str):
    delay, text = ANSWERS[model]
    return lambda req: Reply(text=text, delay=delay)


def _labels(prompt: str) -> dict[str, str]:
    """Which neutral label the (shuffled) judge prompt gave each simulated panelist."""
    out = {}
    for block in re.split(r"<<<BEGIN RESPONSE ", prompt)[1:]:
        label = re.search(r'label="(Response \d+)"', block)
        for i, (_, text) in enumerate(ANSWERS.values(), 1):
            if label and text in block:
                out[f"Response {i}"] = label.group(1)
    return out


def _judge(req: ScriptedRequest) -> Reply:
    if any(m.get("role") == "tool" for m in req.messages):
        return Reply(text=FINAL, delay=0.4, chunk_size=12)
    text = json.dumps(ANALYSIS)
    for ours, theirs in _labels(req.last_user_text).items():  # keep stances with the right panelist
        text = text.replace(f'"{ours}"', f'"@{theirs}"')
    return Reply(text=text.replace('"@', '"'), delay=0.6)


def provider() -> ScriptedProvider:
    behaviours: dict[str, Any] = {m: _panelist(m) for m in PANEL}
    behaviours[JUDGE] = _judge
    return ScriptedProvider(behaviours)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def both_doors(question: str, config: Any) -> str:
    """The same question through both doors of ``fusion-tool serve`` (a real proxy on 127.0.0.1
    in front of the scripted models): one Chat Completions and one Responses request, at once."""
    import openai

    from fusion_tool.proxy import create_app, running

    with running(create_app(config)) as url:
        client = openai.AsyncOpenAI(base_url=url, api_key="demo", max_retries=0)
        chat, response = await asyncio.gather(
            client.chat.completions.create(model=ALIAS, messages=[{"role": "user", "content": question}]),
            client.responses.create(model=ALIAS, input=question))
        await client.close()
    fusion = response.output[0]
    return "\n".join([
        f"\nThe same question through both doors of `fusion-tool serve` ({url}, simulated):",
        f"  POST /v1/chat/completions  choices[0].message: \"{_short(chat.choices[0].message.content or '')}\"",
        f"  POST /v1/responses         output: {fusion.type} ({len(fusion.responses)} answers, analysis), "
        f"message: \"{_short(response.output_text)}\"",
    ])


def run_demo(args: Any, make_config: Any, label: str) -> int:
    from fusion_tool.cli.ask import ask

    scripted = provider()
    with scripted.serve() as base_url:
        config = make_config(args, base_url=base_url, api_key="demo", panel=PANEL, judge=JUDGE, tools=())
        code = asyncio.run(ask(args.question, config, as_json=args.json, label=label))
        if not args.json:
            print(asyncio.run(both_doors(args.question, config)), file=sys.stderr)
        return code
