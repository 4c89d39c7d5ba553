"""Which mode a chat-completion request is in, and the fusion configuration it carries.

alias: ``model`` is ``openrouter/fusion`` or ``openrouter/fusion-flash``;
tool:  ``tools`` holds ``{"type": "openrouter:fusion"}``, or a fusion plugin names a real model;
pass:  anything else, forwarded untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core import schemas
from fusion_tool.core.config import ALIASES, FusionConfig
from fusion_tool.core.errors import ConfigError

FUSION_TOOL_TYPE = "openrouter:fusion"


@dataclass
class Plan:
    """What a request asks of fusion, and how it is served.

    Attributes:
        mode: ``alias`` (model ``openrouter/fusion``), ``tool`` (tools include
            ``openrouter:fusion``) or ``pass`` (anything else: untouched).
        config: The fusion config: the front's, with the request's plugin or tool parameters.
        params: The request for the upstream, fusion's own fields removed.
        force: Tool mode: ``tool_choice`` names fusion or is ``required``.
        extra: Room for a mode's own data; empty (nothing sets it today).
    """

    mode: str
    config: FusionConfig
    params: dict[str, Any]
    force: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _plugins(params: dict[str, Any]) -> list[Any]:
    plugins = params.pop("plugins", None)
    extra_body = params.get("extra_body")
    if isinstance(extra_body, dict) and "plugins" in extra_body:
        extra_body = dict(extra_body)
        plugins = extra_body.pop("plugins") if plugins is None else plugins
        extra_body.pop("plugins", None)
        if extra_body:
            params["extra_body"] = extra_body
        else:
            params.pop("extra_body")
    if plugins is None:
        return []
    if not isinstance(plugins, list):
        raise ConfigError("plugins", "must be an array of plugin objects")
    return plugins


def plan(request: dict[str, Any], base: FusionConfig) -> Plan:
    """Classify ``request`` (the keyword arguments of ``create``) and pull out its fusion config."""
    params = dict(request)
    plugins = _plugins(params)
    config = base
    fusion_plugin = None
    others = []
    for i, plugin in enumerate(plugins):
        if isinstance(plugin, dict) and plugin.get("id") == "fusion":
            config = config.with_params(plugin, field_name=f"plugins[{i}]")
            fusion_plugin = plugin
        else:
            others.append(plugin)
    if others:  # other providers' plugins travel on untouched
        params["extra_body"] = {**params.get("extra_body", {}), "plugins": others}
    enabled = fusion_plugin is None or fusion_plugin.get("enabled", True)

    model = params.get("model")
    tools = params.get("tools")
    entry_index = None
    if isinstance(tools, list):
        for i, tool in enumerate(tools):
            if isinstance(tool, dict) and tool.get("type") == FUSION_TOOL_TYPE:
                schemas.check(tool, "fusion_config", "tool_entry", field=f"tools[{i}]")
                config = config.with_params(tool.get("parameters"), field_name=f"tools[{i}].parameters")
                entry_index = i
                break
    if entry_index is not None:
        params["tools"] = [t for i, t in enumerate(tools) if i != entry_index] or None  # type: ignore[arg-type]
        if params["tools"] is None:
            params.pop("tools")

    if params.get("n") not in (None, 1) and (entry_index is not None or fusion_plugin is not None
                                             or model in ALIASES):
        raise ConfigError("n", "fusion writes one answer; n must be 1")
    if isinstance(model, str) and model in ALIASES:
        if not enabled:
            raise ConfigError("plugins", f"{model} needs the fusion plugin enabled")
        if fusion_plugin is None or "preset" not in fusion_plugin:
            config = config.replace(preset=ALIASES[model])
        return Plan("alias", config, params)
    if enabled and (entry_index is not None or fusion_plugin is not None):
        return Plan("tool", config, params, force=_forced(params))
    return Plan("pass", base, params)


def _forced(params: dict[str, Any]) -> bool:
    """``tool_choice`` names fusion, or is "required" with fusion the only tool.

    A ``tool_choice`` of a shape no provider takes is refused here, naming the field: tool mode
    reads it (and may replace it), so it cannot be left for the provider to refuse.
    """
    choice = params.get("tool_choice")
    if choice is None or isinstance(choice, str):
        return choice == "required" and not params.get("tools")
    if not isinstance(choice, dict):
        raise ConfigError("tool_choice", 'must be "none", "auto", "required" or an object '
                          '{"type": "function", "function": {"name": ...}}')
    kind = choice.get("type")
    if not isinstance(kind, str):
        raise ConfigError("tool_choice.type", 'must be a string: "function" or "openrouter:fusion"')
    function = choice.get("function")
    if function is not None and not isinstance(function, dict):
        raise ConfigError("tool_choice.function", 'must be an object {"name": ...}')
    if kind == FUSION_TOOL_TYPE:
        return True
    if kind == "function":
        name = (function or {}).get("name")
        if not isinstance(name, str):
            raise ConfigError("tool_choice.function.name", "must be the name of a tool, a string")
        return name == "fusion"
    return False
