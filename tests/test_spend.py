"""Spend control (issue 16): prices, the estimate, the ceiling, scouts, reuse; against
``fusion_tool.testing`` with a scripted price list."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fusion_tool
from fusion_tool import FusionConfig, fuse
from fusion_tool.core.errors import ConfigError
from fusion_tool.pipeline.spend import Prices, Spend, count_tokens
from fusion_tool.provider.upstream import Upstream
from fusion_tool.testing import Reply, ScriptedProvider

QUESTION = "What does the evidence say about four-day work weeks and productivity in large firms?"
AGREE = {"consensus": ["productivity holds"], "contradictions": [], "partial_coverage": [],
         "unique_insights": [], "blind_spots": []}
CONTESTED = {**AGREE, "contradictions": [{"topic": "effect size", "stances": [
    {"model": "Response 1", "stance": "large"}, {"model": "Response 2", "stance": "none"}]}]}
#: dollars per token, by model
PRICES = {"cheap-a": (1e-7, 2e-7), "cheap-b": (2e-7, 4e-7), "mid": (1e-6, 2e-6), "dear": (5e-6, 1e-5),
          "judge": (1e-6, 2e-6)}


def provider(judge=AGREE, **kw) -> ScriptedProvider:
    answer = "Studies show output held steady while hours fell " * 5
    behaviours = {m: Reply(text=answer, delay=0.05) for m in PRICES if m != "judge"}  # the seats overlap
    behaviours["judge"] = judge if isinstance(judge, list) else Reply(json=judge)
    return ScriptedProvider(behaviours, prices=PRICES, **kw)


def config(**kw) -> FusionConfig:
    base = dict(panel=("dear", "mid", "cheap-a", "cheap-b"), judge="judge", tools=(), max_completion_tokens=200,
                prices={m: (p * 1e6, c * 1e6) for m, (p, c) in PRICES.items()})
    return FusionConfig(**{**base, **kw})


def run(coro):
    return asyncio.run(coro)


# -- prices ------------------------------------------------------------------------------------


def test_prices_come_from_the_providers_model_list_once_per_client():
    p = ScriptedProvider({"m": "hi", "free": "hi"}, prices={"m": (3e-6, 1.5e-5), "free": (0.0, 0.0)},
                         publish_prices=True)

    async def main():
        upstream = Upstream(p.async_openai())
        first = await upstream.published_prices()
        again = await upstream.published_prices()
        return first, again

    first, again = run(main())
    assert first == again == {"m": (3e-6, 1.5e-5), "free": (0.0, 0.0)}


def test_a_provider_without_prices_leaves_the_configured_ones_and_unknown_is_not_free():
    p = ScriptedProvider({"m": "hi"})  # publishes no pricing

    async def main():
        return await Upstream(p.async_openai()).published_prices()

    prices = Prices(run(main()), {"m": (2.0, 4.0)})
    assert prices("m") == (2e-6, 4e-6) and prices.source("m") == "config"
    assert prices("other") is None and prices.cost("other", 10, 10) is None


# -- the estimate ------------------------------------------------------------------------------


def test_estimate_calls_no_model_and_gives_expected_and_worst_per_seat():
    p = provider()
    est = fusion_tool.estimate(QUESTION, config())
    assert p.requests == []
    assert [ln.stage for ln in est.lines] == ["panel"] * 4 + ["judge", "writer"]
    for line in est.lines:
        assert line.prompt_tokens >= count_tokens(QUESTION) and line.cost is not None
        assert line.cost_worst >= line.cost and line.completion_tokens_worst >= line.completion_tokens
    assert est.cost == pytest.approx(sum(ln.cost for ln in est.lines))
    assert est.tokenizer in ("approximation", "tiktoken:o200k_base")


def test_estimate_says_unknown_for_a_model_without_a_price():
    est = fusion_tool.estimate([{"role": "user", "content": QUESTION}], config(panel=("nobody", "mid"), prices={}))
    assert est.lines[0].cost is None and est.lines[0].price_source == "unknown" and est.cost is None


def test_ask_estimate_needs_no_key(capsys, monkeypatch):
    from fusion_tool.cli.main import main

    for name in ("FUSION_API_KEY", "OPENROUTER_API_KEY", "FUSION_BASE_URL", "FUSION_PANEL", "FUSION_JUDGE"):
        monkeypatch.delenv(name, raising=False)
    code = main(["ask", "--estimate", "--json", "--panel", "a,b", "--judge", "a", "--price", "a=1,2",
                 "--price", "b=0.5,1", "--max-cost", "0.5", QUESTION])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["max_cost"] == 0.5 and all(ln["cost"] is not None for ln in out["lines"])


# -- the ceiling -------------------------------------------------------------------------------


def test_max_cost_is_a_parameter_env_and_option_and_bad_values_name_the_field(monkeypatch):
    assert FusionConfig().with_params({"max_cost": 0.25}).max_cost == 0.25
    with pytest.raises(ConfigError) as err:
        FusionConfig().with_params({"max_cost": -1})
    assert "max_cost" in str(err.value)
    with pytest.raises(ConfigError) as err:
        FusionConfig().with_params({"strategy": "all"})
    assert "strategy" in str(err.value)
    assert FusionConfig.from_env({"FUSION_MAX_COST": "0.3"}).max_cost == 0.3
    with pytest.raises(ConfigError, match="FUSION_MAX_COST"):
        FusionConfig.from_env({"FUSION_MAX_COST": "cheap"})


def test_a_ceiling_cuts_the_panel_midway_and_holds_the_judge():
    p = provider()
    from fusion_tool.pipeline import prompts
    from fusion_tool.pipeline.fuse import judge_worst

    # the judge's hold, the dearest seat, and half of the next: the seats after it still fit
    ledger = Spend(max_cost=1.0, prices=Prices(PRICES))
    messages = [{"role": "system", "content": prompts.PANELIST.format(tools="")}, {"role": "user", "content": QUESTION}]
    worst = {m: ledger.worst(m, {"messages": messages, "max_completion_tokens": 200}) for m in PRICES}
    ceiling = judge_worst(QUESTION, config(), "judge", 4, ledger) + worst["dear"] + worst["mid"] / 2
    result = run(fuse(QUESTION, config=config(max_cost=ceiling), client=p.async_openai()))
    spend = result.trace["spend"]
    assert result.status == "ok" and result.analysis is not None
    assert [s["model"] for s in spend["skipped"]] == ["mid"] and spend["skipped"][0]["stage"] == "panel"
    assert [r["model"] for r in result.responses] == ["dear", "cheap-a", "cheap-b"]
    assert [f["model"] for f in result.failed_models] == [s["model"] for s in spend["skipped"]]
    assert all("budget" in f["error"] for f in result.failed_models)
    assert p.total_usage()["cost"] <= result.trace["spend"]["max_cost"]
    assert spend["spent"] == pytest.approx(p.total_usage()["cost"])
    assert {r.model for r in p.requests} >= {"judge"}


def test_budget_exceeded_only_when_not_even_one_panelist_fits():
    p = provider()
    result = run(fuse(QUESTION, config=config(max_cost=1e-7), client=p.async_openai()))
    assert result.status == "error" and result.failure_reason == "budget_exceeded"
    assert result.tool_result()["failure_reason"] == "budget_exceeded" and p.requests == []


def test_a_panelist_near_the_ceiling_is_asked_to_wrap_up():
    from fusion_tool.pipeline import prompts
    from fusion_tool.testing import ToolCall

    def researcher(req):
        if req.tools:
            return Reply(tool_calls=[ToolCall("web_search", {"query": "four-day week"})])
        return "Output held steady."

    class Tools:
        sources: list = []

        def definitions(self):
            return [{"type": "function", "function": {"name": "web_search", "parameters": {"type": "object"}}}]

        async def call(self, name, arguments):
            return "result " * 50

    p = ScriptedProvider({"mid": researcher, "judge": Reply(json=AGREE)}, prices=PRICES)
    cfg = config(panel=("mid",), max_tool_calls=16, tools=None, max_cost=0.004)

    async def main():
        from fusion_tool.pipeline.fuse import run as run_fusion

        return await run_fusion(QUESTION, Upstream(p.async_openai()), cfg, tools_factory=lambda: Tools())

    result = run(main())
    assert result.status == "ok" and result.trace["spend"]["wrapped_up"] == ["mid"]
    last = p.requests_for("mid")[-1]
    assert last.messages[-1]["content"] == prompts.PANELIST_WRAP_UP and not last.tools
    assert p.total_usage()["cost"] <= 0.004


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prices=st.lists(st.tuples(st.floats(1e-8, 2e-5), st.floats(1e-8, 6e-5)), min_size=2, max_size=5),
    words=st.lists(st.integers(1, 400), min_size=5, max_size=5),
    seats=st.integers(1, 6),
    cap=st.integers(5, 300),
    ceiling=st.floats(1e-5, 0.05),
    scout=st.booleans(),
)
def test_the_sum_never_exceeds_max_cost(prices, words, seats, cap, ceiling, scout):
    models = [f"m{i}" for i in range(len(prices))]
    table = dict(zip(models, prices))
    behaviours = {m: "word " * words[i % len(words)] for i, m in enumerate(models)}
    behaviours["m0"] = [Reply(json=CONTESTED), Reply(json=AGREE)]  # m0 judges, and sits on the panel
    p = ScriptedProvider(behaviours, prices=table, publish_prices=True)
    panel = tuple(models[i % len(models)] for i in range(seats))
    cfg = FusionConfig(panel=panel, judge="m0", tools=(), max_completion_tokens=cap, max_cost=ceiling,
                       strategy="scout" if scout else "panel")
    result = run(fuse(QUESTION, config=cfg, client=p.async_openai()))
    reported = p.total_usage()["cost"]
    assert reported <= ceiling + 1e-12, (reported, ceiling, result.trace.get("spend"))
    if result.status == "error":
        assert result.failure_reason in ("budget_exceeded", "all_panels_failed")


# -- scouts ------------------------------------------------------------------------------------


def test_scouts_that_agree_are_the_result_and_the_panel_is_not_paid_for():
    p = provider(judge=AGREE)
    result = run(fuse(QUESTION, config=config(strategy="scout"), client=p.async_openai()))
    assert result.trace["scout"] == {"scouts": ["cheap-a", "cheap-b"], "escalated": False,
                                     "why": "the scouts agree: no contradictions, no blind spots"}
    assert {r.model for r in p.requests} == {"cheap-a", "cheap-b", "judge"}
    assert len(p.requests_for("judge")) == 1 and result.analysis == AGREE
    assert [r["model"] for r in result.responses] == ["cheap-a", "cheap-b"]


def test_scouts_that_disagree_escalate_to_the_whole_panel_without_paying_twice():
    p = provider(judge=[Reply(json=CONTESTED), Reply(json=AGREE)])
    result = run(fuse(QUESTION, config=config(strategy="scout"), client=p.async_openai()))
    scout = result.trace["scout"]
    assert scout["escalated"] is True and "effect size" in scout["why"]
    assert [len(p.requests_for(m)) for m in ("dear", "mid", "cheap-a", "cheap-b")] == [1, 1, 1, 1]
    assert len(p.requests_for("judge")) == 2
    final = p.requests_for("judge")[-1].messages[-1]["content"]
    assert final.count("Studies show") == 4 * 5  # every answer, the scouts' included
    assert sorted(r["model"] for r in result.responses) == ["cheap-a", "cheap-b", "dear", "mid"]


def test_scout_models_can_be_named():
    p = provider(judge=AGREE)
    result = run(fuse(QUESTION, config=config(strategy="scout", scout_models=("mid", "dear")), client=p.async_openai()))
    assert result.trace["scout"]["scouts"] == ["mid", "dear"] and {r.model for r in p.requests} == {"mid", "dear", "judge"}


# -- reuse -------------------------------------------------------------------------------------


def test_the_same_call_within_reuse_ttl_is_reused_not_refired():
    p = provider()
    cfg = config(reuse_ttl=60, panel=("mid", "cheap-a"))

    async def main():
        client = p.async_openai()
        first = await fuse(QUESTION, config=cfg, client=client)
        n = len(p.requests)
        again = await fuse(QUESTION, config=cfg, client=client)
        other = await fuse(QUESTION + " In Europe?", config=cfg, client=client)
        return first, n, again, other

    first, n, again, other = run(main())
    assert n == 3 and not first.reused
    assert again.reused and again.trace["reused"] is True and again.responses == first.responses
    assert again.analysis == first.analysis and again.usage.calls == []
    assert not other.reused and len(p.requests) == 6


def test_reuse_is_off_by_default():
    p = provider()

    async def main():
        client = p.async_openai()
        await fuse(QUESTION, config=config(panel=("mid",)), client=client)
        return await fuse(QUESTION, config=config(panel=("mid",)), client=client)

    assert not run(main()).reused and len(p.requests) == 4
