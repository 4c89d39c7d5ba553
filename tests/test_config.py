"""Bad configuration fails before any call, with an error naming the field."""

from __future__ import annotations

import os

import openai
import pytest

from fusion_tool import ConfigError, FusionConfig, wrap_openai

from .conftest import PANEL

MESSAGES = [{"role": "user", "content": "Compare the evidence on nuclear and wind power for grid decarbonisation."}]

BAD_PLUGINS = [
    ({"id": "fusion", "analysis_models": []}, "plugins[0].analysis_models"),
    ({"id": "fusion", "analysis_models": ["m"] * 9}, "plugins[0].analysis_models"),
    ({"id": "fusion", "analysis_models": ["ok", 7]}, "plugins[0].analysis_models[1]"),
    ({"id": "fusion", "analysis_modles": ["a"]}, "plugins[0].analysis_modles"),
    ({"id": "fusion", "max_tool_calls": 0}, "plugins[0].max_tool_calls"),
    ({"id": "fusion", "max_tool_calls": 17}, "plugins[0].max_tool_calls"),
    ({"id": "fusion", "temperature": 3}, "plugins[0].temperature"),
    ({"id": "fusion", "model": ""}, "plugins[0].model"),
    ({"id": "fusion", "tools": [{"type": "openrouter:web_fetch", "parameters": {"max_uses": 0}}]},
     "plugins[0].tools[0].parameters.max_uses"),
]


@pytest.mark.parametrize(("plugin", "field"), BAD_PLUGINS)
def test_bad_plugin_names_the_field_and_makes_no_call(provider, config, plugin, field):
    client = wrap_openai(provider.openai(), config=config)
    with pytest.raises(openai.BadRequestError) as info:  # the SDK's own error, as the proxy answers
        client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES, plugins=[plugin])
    assert info.value.param == field
    assert field in str(info.value)
    assert provider.requests == []


@pytest.mark.parametrize(("parameters", "field"), [
    ({"analysis_models": []}, "tools[1].parameters.analysis_models"),
    ({"analysis_models": "a,b"}, "tools[1].parameters.analysis_models"),
    ({"max_tool_calls": 99}, "tools[1].parameters.max_tool_calls"),
    ({"surprise": True}, "tools[1].parameters.surprise"),
])
async def test_bad_tool_parameters_name_the_field(provider, config, parameters, field):
    client = wrap_openai(provider.async_openai(), config=config)
    user_tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(
            model=PANEL[0], messages=MESSAGES,
            tools=[user_tool, {"type": "openrouter:fusion", "parameters": parameters}])
    assert info.value.param == field
    assert provider.requests == []


@pytest.mark.parametrize(("env", "field"), [
    ({"FUSION_PANEL": " , "}, "FUSION_PANEL"),
    ({"FUSION_PANEL": ",".join(f"m{i}" for i in range(9))}, "FUSION_PANEL"),
    ({"FUSION_PANEL_TIMEOUT": "soon"}, "FUSION_PANEL_TIMEOUT"),
    ({"FUSION_PANEL_TIMEOUT": "0"}, "FUSION_PANEL_TIMEOUT"),
    ({"FUSION_STRAGGLER_GRACE": "-1"}, "FUSION_STRAGGLER_GRACE"),
])
def test_bad_environment_names_the_variable(env, field):
    with pytest.raises(ConfigError) as info:
        FusionConfig.from_env(env)
    assert info.value.field == field


def test_environment_fills_the_fields_of_the_same_name():
    config = FusionConfig.from_env({
        "FUSION_BASE_URL": "http://127.0.0.1:9/v1", "OPENROUTER_API_KEY": "k-or", "FUSION_PANEL": "a, b",
        "FUSION_JUDGE": "j", "FUSION_SEARCH": "local:/tmp", "FUSION_PANEL_TIMEOUT": "12.5",
        "FUSION_STRAGGLER_GRACE": "3",
    })
    assert (config.base_url, config.api_key, config.panel, config.judge, config.search) == (
        "http://127.0.0.1:9/v1", "k-or", ("a", "b"), "j", "local:/tmp")
    assert (config.panel_timeout, config.straggler_grace) == (12.5, 3.0)
    assert FusionConfig.from_env({"FUSION_API_KEY": "k1", "OPENROUTER_API_KEY": "k2"}).api_key == "k1"
    assert "k1" not in repr(FusionConfig.from_env({"FUSION_API_KEY": "k1"}))


def test_defaults_match_the_design():
    config = FusionConfig.from_env({})
    assert config.base_url == "https://openrouter.ai/api/v1"
    assert config.panel_timeout == 300 and config.straggler_grace is None and config.max_tool_calls == 4


def test_settings_handed_to_workers_are_the_set_ones_as_strings_and_come_back_out(monkeypatch):
    from fusion_tool.core import config as config_module

    monkeypatch.delenv("FUSION_PROXY_MAX_INFLIGHT", raising=False)
    monkeypatch.setenv("FUSION_REDIS_URL", "redis://kept")
    config_module.export_to_workers({"FUSION_PROXY_MAX_INFLIGHT": 8, "FUSION_REDIS_URL": None})
    try:
        assert os.environ["FUSION_PROXY_MAX_INFLIGHT"] == "8"
        assert os.environ["FUSION_REDIS_URL"] == "redis://kept"  # None: left as it was, not "None"
    finally:
        config_module.withdraw_from_workers(["FUSION_PROXY_MAX_INFLIGHT", "NEVER_SET_ANYWHERE"])
    assert "FUSION_PROXY_MAX_INFLIGHT" not in os.environ and os.environ["FUSION_REDIS_URL"] == "redis://kept"


def test_the_shared_state_file_is_read_from_the_environment_given_or_this_process(monkeypatch):
    from fusion_tool.core.config import STATE_FILE_VARIABLE, shared_state_file

    assert STATE_FILE_VARIABLE == "_FUSION_STATE_FILE"  # private: DESIGN.md names no such variable
    monkeypatch.setenv(STATE_FILE_VARIABLE, " /tmp/x/state.sqlite3 ")
    assert shared_state_file() == "/tmp/x/state.sqlite3"
    assert shared_state_file({STATE_FILE_VARIABLE: "/given"}) == "/given"
    assert shared_state_file({}) is None and shared_state_file({STATE_FILE_VARIABLE: "  "}) is None
    monkeypatch.delenv(STATE_FILE_VARIABLE)
    assert shared_state_file() is None


def test_from_env_reads_this_process_environment_and_a_panel_of_eight_at_most(monkeypatch):
    from fusion_tool.core.config import LOG_LEVELS, LogSettings

    monkeypatch.setenv("FUSION_PANEL", ",".join(f"m/{i}" for i in range(8)))
    assert FusionConfig.from_env().panel == tuple(f"m/{i}" for i in range(8))  # eight: the most a panel takes
    monkeypatch.setenv("FUSION_PANEL", ",".join(f"m/{i}" for i in range(9)))
    with pytest.raises(ConfigError) as nine:
        FusionConfig.from_env()
    assert nine.value.field == "FUSION_PANEL"
    with pytest.raises(ConfigError) as level:
        LogSettings.from_env({"FUSION_LOG_LEVEL": "loud"})
    assert f"one of {', '.join(LOG_LEVELS)}" in str(level.value)


def test_bad_parameters_name_the_parameters_field_by_default():
    with pytest.raises(ConfigError) as bad:
        FusionConfig().with_params({"max_tool_calls": -1})
    assert bad.value.field.startswith("parameters")
