"""Config validation, value by value: each bad value fails before any call with the field and
what is wrong; each good boundary value is taken; every request parameter and environment
variable lands in the field of its name."""

from __future__ import annotations

import pytest

from fusion_tool.core.config import (
    DEFAULT_PROXY_KEEPALIVE_SECONDS,
    DEFAULT_PROXY_MAX_INFLIGHT,
    PRESETS,
    FusionConfig,
    LogSettings,
    ProxySettings,
    SearchSettings,
    TelemetrySettings,
    proxy_token,
)
from fusion_tool.core.errors import ConfigError

SECONDS = "must be a positive number of seconds"


@pytest.mark.parametrize(("values", "message"), [
    ({"preset": "best"}, "preset: unknown preset 'best'; one of ['budget', 'fast', 'quality']"),
    ({"panel": tuple(f"m{i}" for i in range(9))}, "panel: a panel has 1 to 8 models"),
    ({"panel_timeout": 0}, f"panel_timeout: {SECONDS}"), ({"panel_timeout": -1}, f"panel_timeout: {SECONDS}"),
    ({"deadline": 0}, f"deadline: {SECONDS}"), ({"judge_timeout": 0}, f"judge_timeout: {SECONDS}"),
    ({"writer_timeout": -0.5}, f"writer_timeout: {SECONDS}"),
    ({"straggler_grace": -0.1}, "straggler_grace: must be zero or more seconds"),
    ({"max_cost": 0}, "max_cost: must be a positive number of dollars"),
    ({"max_cost": float("nan")}, "max_cost: must be a positive number of dollars"),
    ({"strategy": "vote"}, "strategy: unknown strategy 'vote'; one of panel, scout"),
    ({"scout_models": tuple(f"s{i}" for i in range(9))}, "scout_models: at most 8 scouts"),
    ({"reuse_ttl": -1}, "reuse_ttl: must be zero or more seconds"),
    ({"prices": {"m": (1.0,)}}, "prices: m: (prompt, completion) dollars per million tokens, each >= 0"),
    ({"prices": {"m": (1.0, -1.0)}}, "prices: m: (prompt, completion) dollars per million tokens, each >= 0"),
    ({"prices": {"m": (1.0, "2")}}, "prices: m: (prompt, completion) dollars per million tokens, each >= 0"),
    ({"redis_url": "http://cache:6379"}, "FUSION_REDIS_URL: a Redis URL starts with redis:// or rediss:// or unix://"),
])
def test_a_bad_value_names_its_field_and_what_is_wrong(values, message):
    with pytest.raises(ConfigError) as refused:
        FusionConfig(**values)
    assert str(refused.value) == message and refused.value.field == message.split(":")[0]


@pytest.mark.parametrize("values", [
    {"panel": ("a",)}, {"panel": tuple(f"m{i}" for i in range(8))}, {"straggler_grace": 0}, {"reuse_ttl": 0},
    {"scout_models": tuple(f"s{i}" for i in range(8))}, {"max_cost": 0.01}, {"strategy": "scout"},
    {"prices": {"m": (0, 0), "n": (0.5, 2)}}, {"redis_url": "rediss://cache:6380/0"}, {"redis_url": "unix:///run/r.sock"},
    {"panel_timeout": 0.01, "deadline": 0.01, "judge_timeout": 0.01, "writer_timeout": 0.01},
    *({"preset": name} for name in PRESETS),
])
def test_a_boundary_value_is_taken(values):
    config = FusionConfig(**values)
    assert all(getattr(config, k) == v for k, v in values.items())


def test_the_panel_and_judge_fall_back_to_the_presets():
    config = FusionConfig(preset="fast")
    assert config.panel_models == PRESETS["fast"].panel and config.judge_model() == PRESETS["fast"].judge
    assert config.judge_model("caller/m") == "caller/m"  # tool mode: the calling model judges
    assert FusionConfig(judge="j", panel=("p",)).judge_model("caller/m") == "j"
    assert FusionConfig(panel=("p",)).panel_models == ("p",)


def test_a_provider_is_named_by_a_key_or_another_url():
    assert not FusionConfig().names_a_provider
    assert FusionConfig(api_key="k").names_a_provider
    assert FusionConfig(base_url="http://127.0.0.1:8080/v1").names_a_provider


def test_every_parameter_lands_in_its_field():
    base = FusionConfig(panel=("p",), judge="j")
    config = base.with_params({
        "id": "fusion", "analysis_models": ["a", "b", "a"], "model": "judge/m", "max_tool_calls": 3,
        "max_completion_tokens": 500, "temperature": 0.4, "tools": [], "excluded_domains": ["x.example"],
        "max_cost": 0.5, "strategy": "scout", "scout_models": ["s1", "s2"]}, field_name="plugins[0]")
    assert (config.panel, config.judge, config.max_tool_calls, config.max_completion_tokens, config.temperature,
            config.tools, config.excluded_domains, config.max_cost, config.strategy, config.scout_models) == (
        ("a", "b", "a"), "judge/m", 3, 500, 0.4, (), ("x.example",), 0.5, "scout", ("s1", "s2"))
    assert base.with_params(None) is base and base.with_params({}) is base
    preset = base.with_params({"preset": "budget"})  # a preset replaces the panel and judge it would fill
    assert (preset.preset, preset.panel, preset.judge) == ("budget", (), None)
    assert base.with_params({"temperature": 1.0}).panel == ("p",)  # what is not given stays


def test_a_bad_parameter_names_its_path():
    with pytest.raises(ConfigError) as refused:
        FusionConfig().with_params({"analysis_models": []}, field_name="tools[0].parameters")
    assert refused.value.field.startswith("tools[0].parameters") and "analysis_models" in refused.value.field


def test_every_variable_lands_in_its_field():
    env = {"FUSION_BASE_URL": "http://127.0.0.1:1/v1", "FUSION_API_KEY": "k1", "OPENROUTER_API_KEY": "k2",
           "FUSION_PANEL": " a, b ,,c ", "FUSION_JUDGE": " j ", "FUSION_SEARCH": " ddgs ",
           "FUSION_PANEL_TIMEOUT": "12.5", "FUSION_STRAGGLER_GRACE": "0", "FUSION_REDIS_URL": " redis://r:6379 ",
           "FUSION_MAX_COST": "0.25"}
    config = FusionConfig.from_env(env)
    assert (config.base_url, config.api_key, config.panel, config.judge, config.search, config.panel_timeout,
            config.straggler_grace, config.redis_url, config.max_cost) == (
        "http://127.0.0.1:1/v1", "k1", ("a", "b", "c"), "j", "ddgs", 12.5, 0.0, "redis://r:6379", 0.25)
    assert FusionConfig.from_env({"OPENROUTER_API_KEY": "k2"}).api_key == "k2"
    assert FusionConfig.from_env({"FUSION_PANEL": "a"}, panel=("z",)).panel == ("z",)  # overrides win
    assert FusionConfig.from_env({}) == FusionConfig()


@pytest.mark.parametrize(("env", "message"), [
    ({"FUSION_PANEL": " , "}, "FUSION_PANEL: a comma-separated list of 1 to 8 model names"),
    ({"FUSION_PANEL": ",".join("m" * i for i in range(1, 10))}, "FUSION_PANEL: a comma-separated list of 1 to 8 model names"),
    ({"FUSION_PANEL_TIMEOUT": "soon"}, "FUSION_PANEL_TIMEOUT: not a number of seconds: 'soon'"),
    ({"FUSION_PANEL_TIMEOUT": "0"}, "FUSION_PANEL_TIMEOUT: must be a positive number of seconds, got '0'"),
    ({"FUSION_STRAGGLER_GRACE": "-1"}, "FUSION_STRAGGLER_GRACE: must be a positive number of seconds, got '-1'"),
    ({"FUSION_MAX_COST": "lots"}, "FUSION_MAX_COST: not a number of dollars: 'lots'"),
    ({"FUSION_MAX_COST": "0"}, "FUSION_MAX_COST: must be a positive number of dollars, got '0'"),
    ({"FUSION_MAX_COST": "inf"}, "FUSION_MAX_COST: must be a positive number of dollars, got 'inf'"),
    ({"FUSION_MAX_COST": "nan"}, "FUSION_MAX_COST: must be a positive number of dollars, got 'nan'"),
])
def test_a_bad_variable_names_itself(env, message):
    with pytest.raises(ConfigError) as refused:
        FusionConfig.from_env(env)
    assert str(refused.value) == message


def test_the_log_settings():
    assert LogSettings.from_env({}) == LogSettings(None, False)
    assert LogSettings.from_env({"FUSION_LOG_LEVEL": " DEBUG ", "FUSION_LOG": " JSON "}) == LogSettings("debug", True)
    assert LogSettings.from_env({"FUSION_LOG": "text"}).json is False
    with pytest.raises(ConfigError) as refused:
        LogSettings.from_env({"FUSION_LOG_LEVEL": "loud"})
    assert refused.value.field == "FUSION_LOG_LEVEL" and "'loud'" in refused.value.message


def test_the_proxy_settings():
    assert ProxySettings.from_env({}) == ProxySettings(None, DEFAULT_PROXY_MAX_INFLIGHT, DEFAULT_PROXY_KEEPALIVE_SECONDS)
    settings = ProxySettings.from_env({"FUSION_PROXY_TOKEN": "t0k", "FUSION_PROXY_MAX_INFLIGHT": "3",
                                       "FUSION_PROXY_KEEPALIVE": "0.5"})
    assert (settings.token, settings.max_inflight, settings.keepalive_seconds) == ("t0k", 3, 0.5)
    assert proxy_token({"FUSION_PROXY_TOKEN": ""}) is None
    for value, message in (("x", "not a number: 'x'"), ("0", "must be positive, got '0'"), ("1.5", "not a number: '1.5'")):
        with pytest.raises(ConfigError) as refused:
            ProxySettings.from_env({"FUSION_PROXY_MAX_INFLIGHT": value})
        assert str(refused.value) == f"FUSION_PROXY_MAX_INFLIGHT: {message}"


def test_the_search_and_telemetry_settings():
    assert SearchSettings.from_env({"FUSION_SEARCH": "  ", "BRAVE_API_KEY": "b"}) == SearchSettings(None, {"BRAVE_API_KEY": "b"})
    assert SearchSettings.from_env({"FUSION_SEARCH": "brave", "TAVILY_API_KEY": ""}).keys == {}
    assert TelemetrySettings.from_env({}) == TelemetrySettings() and not TelemetrySettings().exports_traces
    both = TelemetrySettings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                                       "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": " http://t:4318/v1/traces ",
                                       "OTEL_SERVICE_NAME": " svc ", "PROMETHEUS_MULTIPROC_DIR": " /tmp/m "})
    assert both == TelemetrySettings("http://t:4318/v1/traces", None, "svc", "/tmp/m") and both.exports_traces
    assert TelemetrySettings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}).otlp_endpoint == "http://c:4318"
    assert not TelemetrySettings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_TRACES_EXPORTER": " NONE "}).exports_traces
    assert TelemetrySettings.from_env({"prometheus_multiproc_dir": "/x"}).multiproc_dir == "/x"
