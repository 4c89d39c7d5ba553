"""Configuration: presets, the model aliases, environment variables and request parameters.

Precedence, lowest first: the preset, the environment (``FUSION_*``), then what a request
names (``plugins`` / tool ``parameters``). Each environment variable ``FUSION_X`` has the
field ``x`` on :class:`FusionConfig`.

This is the one module that reads the environment, through small named readers, each with its
defaults as the named constants below; a bad value raises :class:`ConfigError` naming the
variable:

* :meth:`FusionConfig.from_env`: ``FUSION_BASE_URL``, ``FUSION_API_KEY`` (else
  ``OPENROUTER_API_KEY``), ``FUSION_PANEL``, ``FUSION_JUDGE``, ``FUSION_SEARCH``,
  ``FUSION_PANEL_TIMEOUT``, ``FUSION_STRAGGLER_GRACE``, ``FUSION_REDIS_URL``, ``FUSION_MAX_COST``
* :meth:`SearchSettings.from_env`: ``FUSION_SEARCH`` and the search providers' keys,
  ``BRAVE_API_KEY``, ``TAVILY_API_KEY``
* :meth:`LogSettings.from_env`: ``FUSION_LOG_LEVEL``, ``FUSION_LOG``
* :meth:`ProxySettings.from_env`: ``FUSION_PROXY_TOKEN`` (alone: :func:`proxy_token`),
  ``FUSION_PROXY_MAX_INFLIGHT``, ``FUSION_PROXY_KEEPALIVE``
* :meth:`TelemetrySettings.from_env`: the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``OTEL_TRACES_EXPORTER``, ``OTEL_SERVICE_NAME``, and
  prometheus-client's ``PROMETHEUS_MULTIPROC_DIR`` (the libraries read the rest of theirs)

Handing the environment on is not reading it: :func:`child_environment` (a subprocess's
environment) and :func:`export_to_workers` (settings for the proxy's worker processes; taken
back with :func:`withdraw_from_workers`). One variable is private, set by ``fusion-tool serve``
for its own workers and never by a user: ``_FUSION_STATE_FILE`` (:func:`shared_state_file`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fusion_tool.core.errors import ConfigError

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_MAX_TOOL_CALLS = 4
#: seconds one panelist may take
DEFAULT_PANEL_TIMEOUT = 300.0
#: seconds the whole fused call may take
DEFAULT_DEADLINE = 900.0
#: seconds the judge may take, its repair round included; past them the call goes on without
#: the analysis, as after a judge's failure
DEFAULT_JUDGE_TIMEOUT = 180.0
#: seconds the writer (alias mode's final answer) may take, streamed or not; past them the call
#: fails with ``writer_timeout`` (the proxy's 504)
DEFAULT_WRITER_TIMEOUT = 300.0
#: the shares of the deadline kept back from the panel for the judge and for the writer: the
#: panel stage ends at ``1 - JUDGE_SHARE - WRITER_SHARE`` of the deadline (the panelists still
#: out count as failed), the judge must be done by ``1 - WRITER_SHARE`` of it
DEADLINE_JUDGE_SHARE = 0.15
DEADLINE_WRITER_SHARE = 0.15
#: retries per inner call (for 408/409/429/5xx and connection errors), after the first attempt
DEFAULT_MAX_RETRIES = 2
#: the log level the CLI and the proxy show when ``FUSION_LOG_LEVEL`` is unset
DEFAULT_LOG_LEVEL = "warning"
#: the levels ``FUSION_LOG_LEVEL`` and ``--log-level`` accept (never uvicorn's "trace")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
DEFAULT_SERVE_HOST = "127.0.0.1"  # fusion-tool serve / mcp --http: loopback unless told otherwise
DEFAULT_SERVE_PORT = 8000
DEFAULT_GRACEFUL_SECONDS = 120  # on shutdown, seconds requests in flight get before they are cancelled
#: fused requests one proxy worker runs at once before it answers 429
DEFAULT_PROXY_MAX_INFLIGHT = 64
#: seconds between SSE keep-alive comments while a fused stream has nothing to send
DEFAULT_PROXY_KEEPALIVE_SECONDS = 10.0
#: how a fused call spends its panel: all at once, or two scouts first (see ``pipeline.spend``)
STRATEGIES = ("panel", "scout")
#: the URL schemes ``FUSION_REDIS_URL`` takes (a unix socket too)
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
#: the search providers' API key variables, by provider
SEARCH_KEY_VARIABLES = {"brave": "BRAVE_API_KEY", "tavily": "TAVILY_API_KEY"}


@dataclass(frozen=True)
class Preset:
    """A named panel and judge (``quality``, ``budget``, ``fast``).

    Attributes:
        panel: The models that answer in parallel (the ``analysis_models``).
        judge: The model that analyses the panel's answers and writes the fused one.
    """

    panel: tuple[str, ...]
    judge: str


PRESETS: dict[str, Preset] = {
    "quality": Preset(
        panel=("~anthropic/claude-opus-latest", "~openai/gpt-latest", "~google/gemini-pro-latest"),
        judge="~anthropic/claude-opus-latest",
    ),
    "budget": Preset(
        panel=("~google/gemini-flash-latest", "moonshotai/kimi-k2.6", "deepseek/deepseek-v4-pro"),
        judge="~google/gemini-flash-latest",
    ),
    "fast": Preset(
        panel=("~google/gemini-flash-latest", "~openai/gpt-mini-latest", "~anthropic/claude-haiku-latest"),
        judge="~google/gemini-flash-latest",
    ),
}

#: model aliases and the preset each one stands for
ALIASES: dict[str, str] = {"openrouter/fusion": "quality", "openrouter/fusion-flash": "fast"}


@dataclass(frozen=True)
class FusionConfig:
    """Everything one fused call needs to know. Immutable; derive with :meth:`replace`.

    Attributes:
        panel: The panel's models (``analysis_models``, ``FUSION_PANEL``); empty: the preset's.
        judge: The judge, who also writes the answer (``model``, ``FUSION_JUDGE``); None: the
            calling model in tool mode, else the preset's judge.
        preset: The preset that fills in an unset panel or judge: ``quality``, ``budget`` or ``fast``.
        max_tool_calls: Research tool calls (``web_search``, ``web_fetch``) each panelist may make.
        max_completion_tokens: The cap on each inner call's completion; None: the provider's.
        temperature: The panel's sampling temperature (the judge runs at 0); None: the provider's.
        tools: The panelists' tools; None: the web tools on; ``()``: no tools.
        excluded_domains: Domains kept out of search results and fetches.
        base_url: The provider's OpenAI-compatible URL (``FUSION_BASE_URL``).
        api_key: The provider's key (``FUSION_API_KEY``, else ``OPENROUTER_API_KEY``); never in a repr.
        search: The search provider (``FUSION_SEARCH``, see :mod:`fusion_tool.pipeline.research.search`);
            None: the keyless default.
        panel_timeout: Seconds one panelist may take (``FUSION_PANEL_TIMEOUT``).
        straggler_grace: Once more than half of the panel has answered, the seconds to wait for
            the rest (``FUSION_STRAGGLER_GRACE``); None: wait for all.
        deadline: Seconds the whole fused call may take. The panel stage ends early enough for
            the judge and the writer to run (see :data:`DEADLINE_JUDGE_SHARE`): what answered by
            then goes on to the judge, the panelists still out are in ``failed_models``.
        judge_timeout: Seconds the judge may take; past them the call goes on without the analysis.
        writer_timeout: Seconds the writer may take (alias mode); past them the call fails with
            ``writer_timeout``.
        max_retries: Retries per inner call for 408/409/429/5xx and connection errors.
        min_words: The gate's floor on the user's own words; None: the gate's default.
        force: Tool mode offers fusion whatever the gate says.
        redis_url: Where shared state lives (``FUSION_REDIS_URL``, ``redis://`` or ``rediss://``):
            tool mode's continuations, the in-flight cap, counters; None: in this process.
            Never in a repr (it may hold a password).
        max_cost: The ceiling in dollars for the whole fused call (``max_cost``,
            ``FUSION_MAX_COST``): each inner call reserves its worst case before it starts, and
            what no longer fits is not started; None: no ceiling.
        prices: Prices by model, ``{model: (prompt, completion)}`` in dollars per *million*
            tokens, for models whose provider publishes none (the provider's list comes first).
        strategy: ``panel`` (the whole panel at once) or ``scout`` (the scouts first, the rest of
            the panel only when the judge finds them disagreeing).
        scout_models: The scouts for ``strategy="scout"``; empty: the two cheapest models of the panel.
        reuse_ttl: Seconds the result of a fused call is reused for the same prompt and
            configuration, instead of a new panel; 0: never.
    """

    panel: tuple[str, ...] = ()
    judge: str | None = None
    preset: str = "quality"
    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS
    max_completion_tokens: int | None = None
    temperature: float | None = None
    tools: tuple[dict[str, Any], ...] | None = None
    excluded_domains: tuple[str, ...] = ()
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    search: str | None = None
    panel_timeout: float = DEFAULT_PANEL_TIMEOUT
    straggler_grace: float | None = None
    deadline: float = DEFAULT_DEADLINE
    judge_timeout: float = DEFAULT_JUDGE_TIMEOUT
    writer_timeout: float = DEFAULT_WRITER_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    min_words: int | None = None
    force: bool = False
    redis_url: str | None = field(default=None, repr=False)
    max_cost: float | None = None
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict, hash=False)
    strategy: str = "panel"
    scout_models: tuple[str, ...] = ()
    reuse_ttl: float = 0.0

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError("preset", f"unknown preset {self.preset!r}; one of {sorted(PRESETS)}")
        if not 1 <= len(self.panel or PRESETS[self.preset].panel) <= 8:
            raise ConfigError("panel", "a panel has 1 to 8 models")
        for name in ("panel_timeout", "deadline", "judge_timeout", "writer_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(name, "must be a positive number of seconds")
        if self.straggler_grace is not None and self.straggler_grace < 0:
            raise ConfigError("straggler_grace", "must be zero or more seconds")
        if self.max_cost is not None and not self.max_cost > 0:
            raise ConfigError("max_cost", "must be a positive number of dollars")
        if self.strategy not in STRATEGIES:
            raise ConfigError("strategy", f"unknown strategy {self.strategy!r}; one of {', '.join(STRATEGIES)}")
        if len(self.scout_models) > 8:
            raise ConfigError("scout_models", "at most 8 scouts")
        if self.reuse_ttl < 0:
            raise ConfigError("reuse_ttl", "must be zero or more seconds")
        for model, price in self.prices.items():
            if len(price) != 2 or any(not isinstance(p, (int, float)) or p < 0 for p in price):
                raise ConfigError("prices", f"{model}: (prompt, completion) dollars per million tokens, each >= 0")
        if self.redis_url is not None and not self.redis_url.startswith(REDIS_SCHEMES):
            raise ConfigError("FUSION_REDIS_URL", f"a Redis URL starts with {' or '.join(REDIS_SCHEMES)}")

    replace = replace

    @property
    def panel_models(self) -> tuple[str, ...]:
        return self.panel or PRESETS[self.preset].panel

    def judge_model(self, calling_model: str | None = None) -> str:
        return self.judge or calling_model or PRESETS[self.preset].judge

    @property
    def names_a_provider(self) -> bool:
        """Whether a provider is configured: a key, or a base URL other than OpenRouter's (a
        local server may need no key)."""
        return bool(self.api_key) or self.base_url != DEFAULT_BASE_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FusionConfig:
        """Read ``FUSION_*`` (and ``OPENROUTER_API_KEY``) from the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if v := env.get("FUSION_BASE_URL"):
            values["base_url"] = v
        if v := env.get("FUSION_API_KEY") or env.get("OPENROUTER_API_KEY"):
            values["api_key"] = v
        if v := env.get("FUSION_PANEL"):
            values["panel"] = _model_list(v, "FUSION_PANEL")
        if v := env.get("FUSION_JUDGE"):
            values["judge"] = v.strip()
        if v := SearchSettings.from_env(env).provider:
            values["search"] = v
        if v := env.get("FUSION_PANEL_TIMEOUT"):
            values["panel_timeout"] = _seconds(v, "FUSION_PANEL_TIMEOUT")
        if v := env.get("FUSION_STRAGGLER_GRACE"):
            values["straggler_grace"] = _seconds(v, "FUSION_STRAGGLER_GRACE", allow_zero=True)
        if v := env.get("FUSION_REDIS_URL", "").strip():
            values["redis_url"] = v
        if v := env.get("FUSION_MAX_COST", "").strip():
            values["max_cost"] = _dollars(v, "FUSION_MAX_COST")
        values.update(overrides)
        return cls(**values)

    def with_params(self, params: Mapping[str, Any] | None, *, field_name: str = "parameters") -> FusionConfig:
        """Apply tool ``parameters`` or a plugin entry, validated against ``schemas/``.

        Raises :class:`ConfigError` naming the field (``field_name`` is its path in the request).
        """
        if not params:
            return self
        kind = "plugin" if "id" in params else "parameters"
        from fusion_tool.core import schemas  # jsonschema: only when a request carries parameters

        schemas.check(dict(params), "fusion_config", kind, field=field_name)
        changes: dict[str, Any] = {}
        if "preset" in params:
            changes.update(preset=params["preset"], panel=(), judge=None)
        if "analysis_models" in params:
            changes["panel"] = tuple(params["analysis_models"])
        if "model" in params:
            changes["judge"] = params["model"]
        for key in ("max_tool_calls", "max_completion_tokens", "temperature"):
            if key in params:
                changes[key] = params[key]
        if "tools" in params:
            changes["tools"] = tuple(params["tools"])
        if "excluded_domains" in params:
            changes["excluded_domains"] = tuple(params["excluded_domains"])
        for key in ("max_cost", "strategy"):
            if key in params:
                changes[key] = params[key]
        if "scout_models" in params:
            changes["scout_models"] = tuple(params["scout_models"])
        return replace(self, **changes)


def _model_list(value: str, name: str) -> tuple[str, ...]:
    models = tuple(m.strip() for m in value.split(",") if m.strip())
    if not 1 <= len(models) <= 8:
        raise ConfigError(name, "a comma-separated list of 1 to 8 model names")
    return models


def _dollars(value: str, name: str) -> float:
    try:
        dollars = float(value)
    except ValueError:
        raise ConfigError(name, f"not a number of dollars: {value!r}") from None
    if not dollars > 0 or dollars == float("inf"):
        raise ConfigError(name, f"must be a positive number of dollars, got {value!r}")
    return dollars


def _seconds(value: str, name: str, *, allow_zero: bool = False) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(name, f"not a number of seconds: {value!r}") from None
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(name, f"must be a positive number of seconds, got {value!r}")
    return seconds


def _environment(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


@dataclass(frozen=True)
class SearchSettings:
    """Which search provider the panelists' ``web_search`` uses, and the keys it may need.

    Attributes:
        provider: The ``FUSION_SEARCH`` value (``ddgs``, ``searxng:URL``, ``brave``, ``tavily``,
            ``local:/path``); None: unset, the keyless default.
        keys: The search providers' API keys that are set, by variable name (``BRAVE_API_KEY``,
            ``TAVILY_API_KEY``); never in a repr.
    """

    provider: str | None = None
    keys: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SearchSettings:
        env = _environment(environ)
        keys = {name: env[name] for name in SEARCH_KEY_VARIABLES.values() if env.get(name)}
        return cls((env.get("FUSION_SEARCH") or "").strip() or None, keys)


@dataclass(frozen=True)
class LogSettings:
    """What the CLI and the proxy show of fusion-tool's log events (see :func:`fusion_tool.core.log.configure`).

    Attributes:
        level: ``FUSION_LOG_LEVEL``, lower case, one of :data:`LOG_LEVELS`; None: unset (the
            caller's default applies, :data:`DEFAULT_LOG_LEVEL` unless it says otherwise).
        json: ``FUSION_LOG=json``: one JSON object a line instead of ``key=value`` pairs.
    """

    level: str | None = None
    json: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LogSettings:
        env = _environment(environ)
        level = (env.get("FUSION_LOG_LEVEL") or "").strip().lower() or None
        if level is not None and level not in LOG_LEVELS:
            raise ConfigError("FUSION_LOG_LEVEL", f"unknown level {level!r}; one of {', '.join(LOG_LEVELS)}")
        return cls(level, (env.get("FUSION_LOG") or "").strip().lower() == "json")


def proxy_token(environ: Mapping[str, str] | None = None) -> str | None:
    """``FUSION_PROXY_TOKEN``: the bearer token a server beyond loopback requires; None: unset."""
    return _environment(environ).get("FUSION_PROXY_TOKEN") or None


@dataclass(frozen=True)
class ProxySettings:
    """The proxy's own settings, beside the :class:`FusionConfig` every front shares.

    Attributes:
        token: ``FUSION_PROXY_TOKEN``: every request needs ``Authorization: Bearer <token>``;
            None: loopback clients only. Never in a repr.
        max_inflight: ``FUSION_PROXY_MAX_INFLIGHT``: fused requests one worker runs at once
            before it answers 429.
        keepalive_seconds: ``FUSION_PROXY_KEEPALIVE``: seconds between SSE keep-alive comments.
    """

    token: str | None = field(default=None, repr=False)
    max_inflight: int = DEFAULT_PROXY_MAX_INFLIGHT
    keepalive_seconds: float = DEFAULT_PROXY_KEEPALIVE_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProxySettings:
        env = _environment(environ)
        return cls(
            token=proxy_token(env),
            max_inflight=_positive(env, "FUSION_PROXY_MAX_INFLIGHT", DEFAULT_PROXY_MAX_INFLIGHT, int),
            keepalive_seconds=_positive(env, "FUSION_PROXY_KEEPALIVE", DEFAULT_PROXY_KEEPALIVE_SECONDS, float),
        )


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment with ``extra`` on top, for a subprocess (handed on, not read)."""
    return {**os.environ, **extra}


def export_to_workers(settings: Mapping[str, object | None]) -> None:
    """Put ``settings`` (the set ones, as strings) into the environment that worker processes
    inherit, where their own readers find them."""
    os.environ.update({name: str(value) for name, value in settings.items() if value is not None})


def withdraw_from_workers(names: Iterable[str]) -> None:
    """Take ``names`` back out of the environment worker processes inherit (the workers are gone)."""
    for name in names:
        os.environ.pop(name, None)


#: private: the SQLite file the workers of one ``fusion-tool serve`` share their state in, when
#: they are several and no Redis URL is set; the serve parent sets it for its workers and removes
#: it (and the file) at exit
STATE_FILE_VARIABLE = "_FUSION_STATE_FILE"


def shared_state_file(environ: Mapping[str, str] | None = None) -> str | None:
    """``_FUSION_STATE_FILE`` (private, see :data:`STATE_FILE_VARIABLE`); None: unset."""
    return (_environment(environ).get(STATE_FILE_VARIABLE) or "").strip() or None


def _positive(env: Mapping[str, str], name: str, default: Any, kind: type) -> Any:
    value = env.get(name)
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(name, f"not a number: {value!r}") from None
    if number <= 0:
        raise ConfigError(name, f"must be positive, got {value!r}")
    return number


@dataclass(frozen=True)
class TelemetrySettings:
    """Whether ``fusion-tool serve`` exports traces, and how its workers share metrics.

    Attributes:
        otlp_endpoint: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT``:
            where OTLP/HTTP traces go; None: no export (the exporter reads the other
            ``OTEL_EXPORTER_OTLP_*`` variables, headers and timeouts, itself).
        traces_exporter: ``OTEL_TRACES_EXPORTER``; ``none`` turns the export off.
        service_name: ``OTEL_SERVICE_NAME``; None: ``fusion-tool``.
        multiproc_dir: ``PROMETHEUS_MULTIPROC_DIR``: where the workers' metrics meet (set by
            ``serve --workers N`` when unset).
    """

    otlp_endpoint: str | None = None
    traces_exporter: str | None = None
    service_name: str | None = None
    multiproc_dir: str | None = None

    @property
    def exports_traces(self) -> bool:
        return bool(self.otlp_endpoint) and (self.traces_exporter or "otlp").strip().lower() != "none"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TelemetrySettings:
        env = _environment(environ)
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        return cls(
            otlp_endpoint=(endpoint or "").strip() or None,
            traces_exporter=(env.get("OTEL_TRACES_EXPORTER") or "").strip() or None,
            service_name=(env.get("OTEL_SERVICE_NAME") or "").strip() or None,
            multiproc_dir=(env.get("PROMETHEUS_MULTIPROC_DIR") or env.get("prometheus_multiproc_dir") or "").strip()
            or None,
        )
