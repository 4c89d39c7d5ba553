"""``fusion_tool.estimate``: what a fused call is expected to cost, and at worst, before any model
is called.

Per seat, for the judge and for the writer: prompt tokens (counted: ``pipeline.spend.count_tokens``,
tiktoken where installed, else its documented approximation), the expected and the worst-case
completion tokens, and their cost at the model's price (``FusionConfig.prices``, or prices the
caller read from the provider; unknown: ``None``, never 0).

The *worst case* is what ``max_cost`` reserves: every completion at its cap
(``max_completion_tokens``, else ``spend.DEFAULT_WORST_COMPLETION_TOKENS``), and a panelist with
research tools making every round it may (``max_tool_calls + 1``), each round's prompt grown by
a fetched page at its cap. The *expected* case is a documented guess: an answer of
:data:`EXPECTED_ANSWER_TOKENS` (the judge's analysis :data:`EXPECTED_ANALYSIS_TOKENS`), capped,
and :data:`EXPECTED_TOOL_ROUNDS` research rounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from fusion_tool.core.config import FusionConfig
from fusion_tool.core.usage import total_cost
from fusion_tool.pipeline import prompts
from fusion_tool.pipeline.spend import (
    DEFAULT_WORST_COMPLETION_TOKENS,
    Price,
    Prices,
    cheapest,
    prompt_bound,
    prompt_tokens,
    tokenizer,
)

#: a panelist's (and the writer's) answer, in tokens, when nothing caps it lower
EXPECTED_ANSWER_TOKENS = 800
#: the judge's analysis, in tokens
EXPECTED_ANALYSIS_TOKENS = 600
#: research rounds a panelist with tools is expected to make before it answers
EXPECTED_TOOL_ROUNDS = 2
#: tokens one research round adds to the next round's prompt, expected (search results, a page)
EXPECTED_TOOL_RESULT_TOKENS = 1500
#: ... and at worst (a fetched page at its default cap, ``research.config``)
WORST_TOOL_RESULT_TOKENS = 8000


@dataclass
class Line:
    """One call site's estimate: a seat, the judge or the writer.

    Attributes:
        stage: ``panel``, ``judge`` or ``writer``.
        model: The model.
        calls: Expected calls / at most (``calls_worst``).
        prompt_tokens: Prompt tokens over its expected calls.
        completion_tokens: Completion tokens over its expected calls.
        cost: Expected dollars; None: the price is unknown.
        prompt_tokens_worst: Prompt tokens at worst (the reservation's bound).
        completion_tokens_worst: Completion tokens at worst (every call at its cap).
        cost_worst: Dollars at worst; None: unknown.
        calls_worst: Calls at most.
        price_source: ``provider``, ``config`` or ``unknown``.
    """

    stage: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    prompt_tokens_worst: int
    completion_tokens_worst: int
    cost_worst: float | None
    calls_worst: int
    price_source: str


@dataclass
class Estimate:
    """The expected and worst-case tokens and cost of one fused call, before it is made.

    Attributes:
        lines: The seats (in panel order; under ``scout``, the scouts first), the judge, the writer.
        cost: Expected dollars over every line; None when any price is unknown.
        cost_worst: Worst-case dollars likewise (``max_cost`` would reserve this much).
        max_cost: The configured ceiling, for comparison; None: none.
        tokenizer: How prompt tokens were counted (``tiktoken:o200k_base`` or ``approximation``).
        strategy: ``panel`` or ``scout``; under ``scout`` the expected case is the scouts and one
            judge (agreement), the worst the whole panel and two judges.
    """

    lines: list[Line] = field(default_factory=list)
    cost: float | None = None
    cost_worst: float | None = None
    max_cost: float | None = None
    tokenizer: str = ""
    strategy: str = "panel"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _messages(question_or_messages: str | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(question_or_messages, str):
        return [{"role": "user", "content": question_or_messages}]
    return [dict(m) for m in question_or_messages]


def _line(stage: str, model: str, prices: Prices, calls: tuple[int, int], prompt: tuple[int, int],
          completion: tuple[int, int]) -> Line:
    return Line(stage, model, calls[0], prompt[0], completion[0], prices.cost(model, prompt[0], completion[0]),
                prompt[1], completion[1], prices.cost(model, prompt[1], completion[1]), calls[1],
                prices.source(model))


def estimate(
    question_or_messages: str | Sequence[Mapping[str, Any]],
    config: FusionConfig | None = None,
    *,
    prices: Mapping[str, Price] | None = None,
    calling_model: str | None = None,
) -> Estimate:
    """Expected and worst-case tokens and cost per seat, judge and writer, calling no model.

    ``prices``: dollars per token by model read from the provider (``Upstream.published_prices``),
    ahead of ``config.prices`` (dollars per million tokens).
    """
    config = config or FusionConfig()
    table = Prices(prices, config.prices)
    messages = _messages(question_or_messages)
    question = " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
    cap = config.max_completion_tokens or DEFAULT_WORST_COMPLETION_TOKENS
    answer = min(EXPECTED_ANSWER_TOKENS, cap)
    tools = config.tools != ()
    system = [{"role": "system", "content": prompts.PANELIST.format(tools=prompts.PANELIST_TOOLS if tools else "")}]
    panel_prompt = prompt_tokens([*system, {"role": "user", "content": question}])
    panel_bound = prompt_bound([*system, {"role": "user", "content": question}])
    rounds = (EXPECTED_TOOL_ROUNDS + 1, config.max_tool_calls + 1) if tools else (1, 1)

    def seat(model: str) -> Line:
        expected = sum(panel_prompt + r * EXPECTED_TOOL_RESULT_TOKENS for r in range(rounds[0]))
        worst = sum(panel_bound + r * (WORST_TOOL_RESULT_TOKENS + cap) for r in range(rounds[1]))
        return _line("panel", model, table, rounds, (expected, worst), (answer + 60 * (rounds[0] - 1), cap * rounds[1]))

    panel = list(config.panel_models)
    scouts: list[str] = []
    if config.strategy == "scout":
        scouts = list(config.scout_models) or cheapest(panel, table, 2)
    order = scouts + [m for m in panel if m not in scouts or panel.count(m) > scouts.count(m)]
    lines = [seat(m) for m in order]
    judge = config.judge_model(calling_model)
    judge_system = prompt_tokens([{"role": "system", "content": prompts.JUDGE}])
    n_expected = len(scouts) if scouts else len(order)
    lines.append(_line("judge", judge, table, (1, 2 if scouts else 1),
                       (judge_system + panel_prompt + answer * n_expected,
                        2 * (judge_system + panel_prompt + cap * len(order)) * 5 // 4),
                       (min(EXPECTED_ANALYSIS_TOKENS, cap), cap * (2 if scouts else 1))))
    writer_system = prompt_tokens([{"role": "system", "content": prompts.WRITER}])
    transcript = prompt_tokens(messages)
    lines.append(_line("writer", judge, table, (1, 1),
                       (writer_system + transcript + answer * n_expected + min(EXPECTED_ANALYSIS_TOKENS, cap),
                        (writer_system + transcript + cap * (len(order) + 1)) * 5 // 4),
                       (answer, cap)))
    # expected under scout: the scouts agree, so only the scouts' seats are paid for
    expected_lines = lines[: len(scouts)] + lines[-2:] if scouts else lines
    return Estimate(lines=lines, cost=total_cost(ln.cost for ln in expected_lines),
                    cost_worst=total_cost(ln.cost_worst for ln in lines), max_cost=config.max_cost,
                    tokenizer=tokenizer(), strategy=config.strategy)
