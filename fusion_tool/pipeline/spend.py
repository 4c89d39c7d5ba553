"""Spend control: prices, token counts, and the ledger that keeps a fused call under ``max_cost``.

One idea: every inner call reserves its worst case before it starts, and settles at what it
cost once it is done; a call whose worst case no longer fits is not started.

* **Prices** (:class:`Prices`): dollars per token, by model, from the provider's model list
  where it publishes them (OpenRouter's ``GET /models`` gives ``pricing.prompt`` and
  ``pricing.completion`` per token; ``Upstream.published_prices`` reads and caches it), else
  ``FusionConfig.prices`` (per *million* tokens, as people write them). No price: ``None``,
  unknown, never 0.
* **Tokens** (:func:`count_tokens`): ``tiktoken``'s ``o200k_base`` where it is installed (the
  ``[tokens]`` extra) and its encoding is at hand, else the documented approximation: the larger
  of the whitespace-separated words and a quarter of the UTF-8 bytes. The count is another
  tokenizer's, so a reservation takes :data:`PROMPT_MARGIN` more, and
  :data:`MESSAGE_OVERHEAD_TOKENS` per message.
* **The worst case** of a call: its prompt bound at the prompt price plus its completion cap at
  the completion price. A call without a cap is *sent* with :data:`DEFAULT_WORST_COMPLETION_TOKENS`
  as its cap under a ceiling, so its worst case is real, not a guess.
* **The ledger** (:class:`Spend`): ``spent`` (what settled calls cost: the provider's reported
  cost, else their reported tokens at the price), the reservations of calls in flight, and
  *holds* kept from the start for the judge and the writer so that the answer can always be
  written. Spent + in flight + holds never pass ``max_cost``; what does not fit is in
  ``skipped``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fusion_tool.core.errors import BudgetSkipped
from fusion_tool.core.usage import Call

#: a reservation counts the prompt a quarter higher than we counted it (the provider's tokenizer
#: is not ours)
PROMPT_MARGIN = 1.25
#: tokens reserved per message beyond its text (role, separators), and per call
MESSAGE_OVERHEAD_TOKENS = 8
#: under a ceiling, a call without ``max_completion_tokens`` is sent with this cap: its worst case
DEFAULT_WORST_COMPLETION_TOKENS = 4096
#: a panelist's round is its wrap-up round when what is left after it would not pay for another
#: round this many times over
WRAP_UP_ROUNDS = 2
#: a wrap-up round may be sent with a smaller cap to fit, but never below this many tokens
WRAP_UP_MIN_TOKENS = 256

#: (dollars per prompt token, dollars per completion token)
Price = tuple[float, float]


@lru_cache(maxsize=1)
def _encoding() -> Any:
    try:
        import tiktoken  # the optional [tokens] extra

        return tiktoken.get_encoding("o200k_base")
    except Exception:  # not installed, or its encoding file is not at hand (it is downloaded once)
        return None


def tokenizer() -> str:
    """Which counter :func:`count_tokens` uses: ``tiktoken:o200k_base`` or ``approximation``."""
    return "tiktoken:o200k_base" if _encoding() is not None else "approximation"


def count_tokens(text: str) -> int:
    """Tokens in ``text``: tiktoken's where installed, else max(words, UTF-8 bytes / 4)."""
    if not text:
        return 0
    encoding = _encoding()
    words = len(text.split())
    if encoding is not None:
        return max(words, len(encoding.encode(text, disallowed_special=())))
    return max(words, math.ceil(len(text.encode("utf-8")) / 4))


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    parts = [str(content or "")]
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else getattr(call, "function", None)
        if isinstance(function, dict):
            parts.append(f"{function.get('name', '')} {function.get('arguments', '')}")
        elif function is not None:
            parts.append(f"{function.name} {function.arguments}")
    return " ".join(parts)


def prompt_tokens(messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] | None = None) -> int:
    """The prompt's tokens as counted here (messages and tool definitions), without margin."""
    total = sum(count_tokens(_message_text(m)) for m in messages)
    if tools:
        total += count_tokens(json.dumps(list(tools), default=str))
    return total


def prompt_bound(messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] | None = None) -> int:
    """The most prompt tokens a provider is taken to count for this prompt (the reservation's)."""
    return math.ceil(prompt_tokens(messages, tools) * PROMPT_MARGIN) + MESSAGE_OVERHEAD_TOKENS * (len(messages) + 1)


def completion_cap(params: Mapping[str, Any]) -> int | None:
    cap = params.get("max_completion_tokens", params.get("max_tokens"))
    return int(cap) if cap is not None else None


class Prices:
    """Dollars per token by model: the provider's published prices first, then configured ones."""

    def __init__(self, published: Mapping[str, Price] | None = None,
                 configured: Mapping[str, Sequence[float]] | None = None) -> None:
        self.published = dict(published or {})
        self.configured = {m: (float(p[0]) / 1e6, float(p[1]) / 1e6) for m, p in (configured or {}).items()}

    def __call__(self, model: str) -> Price | None:
        return self.published.get(model) or self.configured.get(model)

    def source(self, model: str) -> str:
        return "provider" if model in self.published else "config" if model in self.configured else "unknown"

    def cost(self, model: str, prompt: int, completion: int) -> float | None:
        price = self(model)
        return None if price is None else prompt * price[0] + completion * price[1]


@dataclass
class Ticket:
    """One call's reservation.

    Attributes:
        stage: The call's stage.
        model: The call's model.
        worst: Dollars reserved: the call's worst case.
    """

    stage: str
    model: str
    worst: float


@dataclass
class Spend:
    """The ledger of one fused call. Without ``max_cost`` it only keeps the record.

    Attributes:
        max_cost: The ceiling in dollars; None: no ceiling.
        prices: Dollars per token by model.
        spent: Dollars the settled calls cost (reported, else priced from their reported tokens);
            None once a settled call's cost is unknown.
        reserved: Dollars reserved over every call started (their worst cases).
        in_flight: Reservations of calls not yet settled.
        holds: Dollars kept back for a later stage (``judge``, ``writer``) until it starts.
        skipped: The calls not started, ``{"stage", "model", "worst", "reason"}`` each.
        wrapped_up: Panel seats (by model) asked to wrap up because the ceiling was near.
    """

    max_cost: float | None = None
    prices: Prices = field(default_factory=Prices)
    spent: float | None = 0.0
    reserved: float = 0.0
    in_flight: list[Ticket] = field(default_factory=list)
    holds: dict[str, float] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    wrapped_up: list[str] = field(default_factory=list)

    @property
    def limited(self) -> bool:
        return self.max_cost is not None

    def committed(self, *, besides: str | None = None) -> float:
        held = sum(v for k, v in self.holds.items() if k != besides)
        return (self.spent or 0.0) + sum(t.worst for t in self.in_flight) + held

    def left(self, *, besides: str | None = None) -> float:
        """Dollars a new call may still reserve (with ``besides``' hold counted as its own)."""
        if self.max_cost is None:
            return math.inf
        return self.max_cost - self.committed(besides=besides)

    def worst(self, model: str, params: Mapping[str, Any]) -> float | None:
        """The call's worst case in dollars; None when the model's price is unknown."""
        price = self.prices(model)
        if price is None:
            return None
        cap = completion_cap(params) or DEFAULT_WORST_COMPLETION_TOKENS
        return prompt_bound(params.get("messages") or [], params.get("tools")) * price[0] + cap * price[1]

    def hold(self, name: str, amount: float | None) -> bool:
        """Keep ``amount`` back for ``name`` from now on; False (and nothing held) when it does
        not fit or is unknown."""
        if not self.limited:
            return True
        if amount is None or amount > self.left():
            return False
        self.holds[name] = amount
        return True

    def release(self, name: str) -> None:
        self.holds.pop(name, None)

    def cap_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with the default cap when it has none, under a ceiling (so the worst is real)."""
        if self.limited and completion_cap(params) is None:
            return {**params, "max_completion_tokens": DEFAULT_WORST_COMPLETION_TOKENS}
        return params

    def reserve(self, stage: str, params: dict[str, Any], *, hold: str | None = None,
                shrink_to: int | None = None) -> tuple[Ticket | None, dict[str, Any]]:
        """Reserve the call's worst case before it starts; returns the ticket (None without a
        ceiling) and the params to send. ``hold``: the stage's hold is used for it (and let go).
        ``shrink_to``: the cap may be lowered to fit, not below that many tokens. Raises
        :class:`BudgetSkipped` (and records it) when it does not fit."""
        if not self.limited:
            return None, params
        params = self.cap_params(params)
        model = str(params.get("model"))
        worst = self.worst(model, params)
        left = self.left(besides=hold)
        if worst is not None and worst > left and shrink_to is not None:
            price = self.prices(model)
            assert price is not None
            prompt_cost = prompt_bound(params.get("messages") or [], params.get("tools")) * price[0]
            fits = int((left - prompt_cost) / price[1]) if price[1] > 0 else completion_cap(params) or 0
            if fits >= shrink_to:
                params = {**params, "max_completion_tokens": min(fits, completion_cap(params) or fits)}
                params.pop("max_tokens", None)
                worst = self.worst(model, params)
        if worst is None:
            reason = f"no price known for {model}: its worst case cannot be bounded"
        elif worst > left:
            reason = f"its worst case ${worst:.6f} does not fit the ${max(left, 0.0):.6f} left of ${self.max_cost:g}"
        else:
            if hold is not None:
                self.release(hold)
            ticket = Ticket(stage, model, worst)
            self.in_flight.append(ticket)
            self.reserved += worst
            return ticket, params
        self.skipped.append({"stage": stage, "model": model, "worst": worst, "reason": reason})
        raise BudgetSkipped(f"budget: not started, {reason}", model=model)

    def settle(self, ticket: Ticket | None, call: Call | None) -> None:
        """The call is done (``call``: its usage record; None: it failed without one, and its
        whole reservation counts as spent, since a provider may bill a failed call)."""
        if ticket is not None and ticket in self.in_flight:
            self.in_flight.remove(ticket)
        if call is None:
            if ticket is not None and self.spent is not None:
                self.spent += ticket.worst
            return
        cost = call.cost if call.cost is not None else self.prices.cost(call.model, call.prompt_tokens,
                                                                       call.completion_tokens)
        self.spent = None if cost is None or self.spent is None else self.spent + cost

    def wrap_up_due(self, params: Mapping[str, Any]) -> bool:
        """Whether the ceiling is near for this round: what is left after it would not pay for
        :data:`WRAP_UP_ROUNDS` more like it."""
        if not self.limited:
            return False
        worst = self.worst(str(params.get("model")), self.cap_params(dict(params)))
        return worst is None or self.left() < worst * (1 + WRAP_UP_ROUNDS)

    def record(self) -> dict[str, Any]:
        """What the fused call's record says about spend."""
        return {
            "max_cost": self.max_cost,
            "reserved": round(self.reserved, 9),
            "spent": None if self.spent is None else round(self.spent, 9),
            "held": round(sum(self.holds.values()), 9),
            "skipped": list(self.skipped),
            "wrapped_up": list(self.wrapped_up),
            "tokenizer": tokenizer(),
        }


def cheapest(models: Sequence[str], prices: Callable[[str], Price | None], n: int = 2) -> list[str]:
    """The ``n`` cheapest distinct ``models`` by prompt plus completion price per token (unknown
    prices last, then in the order given)."""
    distinct = list(dict.fromkeys(models))

    def key(item: tuple[int, str]) -> tuple[int, float, int]:
        price = prices(item[1])
        return (1, 0.0, item[0]) if price is None else (0, price[0] + price[1], item[0])

    return [m for _, m in sorted(enumerate(distinct), key=key)[:n]]
