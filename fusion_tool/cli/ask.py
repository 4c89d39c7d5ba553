"""``fusion-tool ask``: the main job. The question goes through the one ``serve`` function in
alias mode, as any client's request does; the answer goes to stdout, the progress and the
judge's analysis to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from fusion_tool.core import chat
from fusion_tool.core.config import FusionConfig

ALIAS = "openrouter/fusion"


def plugin_of(config: FusionConfig) -> dict[str, Any]:
    """The fusion plugin entry that states ``config``'s panel and judge on the wire."""
    plugin: dict[str, Any] = {"id": "fusion", "preset": config.preset}
    if config.panel:
        plugin["analysis_models"] = list(config.panel)
    if config.judge:
        plugin["model"] = config.judge
    if config.max_cost is not None:
        plugin["max_cost"] = config.max_cost
    if config.strategy != "panel":
        plugin["strategy"] = config.strategy
    if config.scout_models:
        plugin["scout_models"] = list(config.scout_models)
    return plugin


async def print_estimate(question: str, config: FusionConfig, *, as_json: bool) -> int:
    """``ask --estimate``: the expected and worst-case cost, calling no model. Prices: the
    configured ones, and the provider's published list when a provider is configured."""
    from fusion_tool.pipeline.estimate import estimate

    published: dict[str, tuple[float, float]] = {}
    if config.names_a_provider:
        from fusion_tool.provider.upstream import Upstream

        upstream = Upstream.for_config(config)
        try:
            published = await upstream.published_prices()
        finally:
            await upstream.aclose()
    result = estimate(question, config, prices=published)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    from fusion_tool.cli.progress import dollars

    for line in result.lines:
        print(f"{line.stage:6} {line.model}: expected {line.prompt_tokens}+{line.completion_tokens} tokens "
              f"{dollars(line.cost)}; worst {line.prompt_tokens_worst}+{line.completion_tokens_worst} tokens "
              f"in {line.calls_worst} calls {dollars(line.cost_worst)} (price: {line.price_source})")
    ceiling = f"; ceiling ${result.max_cost:g}" if result.max_cost is not None else ""
    print(f"total: expected {dollars(result.cost)}, worst {dollars(result.cost_worst)}{ceiling} "
          f"(tokens counted by {result.tokenizer}, strategy {result.strategy})")
    return 0


async def ask(
    question: str, config: FusionConfig, *, as_json: bool, label: str = "", params: dict[str, Any] | None = None
) -> int:
    """Answer ``question`` in alias mode through the one ``serve`` function, with live progress on
    stderr; print the answer (or, with ``as_json``, the whole record); the exit status."""
    from fusion_tool.cli.progress import Progress, dollars
    from fusion_tool.modes.plan import plan
    from fusion_tool.modes.serve import serve
    from fusion_tool.provider.upstream import Upstream

    upstream = Upstream.for_config(config)
    request = {"model": ALIAS, "messages": [{"role": "user", "content": question}],
               "plugins": [plugin_of(config)], **(params or {})}
    try:
        seats = (*config.panel_models, *(m for m in config.scout_models if m not in config.panel_models))
        with Progress(seats, config.judge_model(), label=label, max_cost=config.max_cost) as progress:
            completion = await serve(plan(request, config), upstream, on_event=progress)
    finally:
        await upstream.aclose()
    answer = chat.content(completion) or ""
    record = completion["fusion"]
    usage = completion.get("usage")
    if as_json:
        out = {"answer": answer, **record, "usage": usage, "spend": (record.get("trace") or {}).get("spend")}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(summary(record), file=sys.stderr)
        print(answer)
        if usage is not None:
            cost = dollars(usage.get("cost"))
            print(f"\n{usage.get('total_tokens')} tokens, {cost} over {len(record['calls'])} calls", file=sys.stderr)
    return 0 if record.get("status") == "ok" else 1


def summary(record: dict[str, Any]) -> str:
    """The judge's analysis in a few lines, for the terminal."""
    analysis = record.get("analysis")
    lines = []
    for failure in record.get("failed_models") or []:
        lines.append(f"failed: {failure['model']}: {failure['error']}")
    if record.get("status") != "ok":
        lines.append(f"fusion failed: {record.get('error')} ({record.get('failure_reason')})")
    elif analysis is None:
        lines.append("(the judge gave no analysis; the answer is written from the panel's responses)")
    else:
        lines += [f"consensus: {c}" for c in analysis["consensus"]]
        lines += [f"contradiction: {c['topic']}: " + "; ".join(f"{s['model']}: {s['stance']}" for s in c["stances"])
                  for c in analysis["contradictions"]]
        lines += [f"partial: {p['point']} ({', '.join(p['models'])})" for p in analysis["partial_coverage"]]
        lines += [f"unique: {u['model']}: {u['insight']}" for u in analysis["unique_insights"]]
        lines += [f"blind spot: {b}" for b in analysis["blind_spots"]]
    return "\n".join(lines) + "\n"
