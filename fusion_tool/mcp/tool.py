"""The MCP tool ``fusion``: its schemas, its description, and its arguments read into a config.

Both schemas are built from ``schemas/`` (the single source), made self-contained because an
MCP client resolves ``$ref`` only inside the schema it was given: the input from the
``fusion`` function's prompt and ``fusion_config.json``'s settings, the output from
``tool_result.json`` with ``analysis.json`` inlined.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from fusion_tool.core import schemas
from fusion_tool.core.config import FusionConfig
from fusion_tool.core.errors import ConfigError

NAME = "fusion"
TITLE = "Fusion: a panel of models and a judge"

_FUNCTION = schemas.load("fusion_tool")["function"]
#: the function tool's description, plus what this door adds: the optional fields and the progress
DESCRIPTION = (
    _FUNCTION["description"]
    + " The result is JSON: the judge's analysis and every panelist's answer; read it and write the"
    " answer yourself. A run takes from tens of seconds to a few minutes, with progress as each"
    " panelist starts and ends."
)


def _input_schema() -> dict[str, Any]:
    defs = schemas.load("fusion_config")["$defs"]
    settings = defs["settings"]["properties"]
    model = copy.deepcopy(defs["model"])
    return {
        "type": "object",
        "properties": {
            "prompt": {**_FUNCTION["parameters"]["properties"]["prompt"], "minLength": 1},
            "analysis_models": {
                **{k: v for k, v in settings["analysis_models"].items() if k != "items"},
                "items": model,
                "description": "The panel: 1 to 8 model ids of the server's provider; a model may appear more "
                "than once (each entry is its own panelist). Default: the server's panel.",
            },
            "model": {**model, "description": "The judge, which compares the answers. Default: the server's judge."},
            "excluded_domains": {
                **copy.deepcopy(defs["domains"]),
                "description": "Domains kept out of the panel's web search and fetch (e.g. to keep an "
                "evaluation honest).",
            },
            "web": {"type": "boolean", "description": "Let the panelists search and read the web (default true)."},
        },
        "required": ["prompt"],
        "additionalProperties": False,
    }


def _output_schema() -> dict[str, Any]:
    result = copy.deepcopy(schemas.load("tool_result"))
    analysis = {k: v for k, v in copy.deepcopy(schemas.load("analysis")).items() if k not in ("$schema", "$id")}
    for branch in result["oneOf"]:
        for prop in branch.get("properties", {}).values():
            if prop.get("$ref") == "analysis.json":
                prop["$ref"] = "#/$defs/analysis"
    result.pop("$id", None)
    result["$defs"]["analysis"] = analysis
    return {"type": "object", **result}  # MCP asks for an object at the root


INPUT_SCHEMA = _input_schema()
OUTPUT_SCHEMA = _output_schema()
_validator = Draft202012Validator(INPUT_SCHEMA)


@dataclass(frozen=True)
class Call:
    """One valid call of the tool: the panel's prompt and the config it runs with.

    Attributes:
        prompt: What the panel answers.
        config: The server's config with the call's arguments applied.
    """

    prompt: str
    config: FusionConfig


def _explain(error: ValidationError) -> ConfigError:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error.validator == "required":
        missing = next((k for k in error.validator_value if k not in error.instance), "")
        return ConfigError(missing, "required")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(k for k in error.instance if k not in INPUT_SCHEMA["properties"])
        known = ", ".join(INPUT_SCHEMA["properties"])
        return ConfigError(schemas.cut(extra[0]) if extra else path, f"unknown field; the fields are {known}")
    return ConfigError(path, schemas.message(error))  # never a big value repeated whole


def read_arguments(arguments: dict[str, Any] | None, base: FusionConfig) -> Call:
    """Validate the tool's arguments; raise :class:`ConfigError` naming the first bad field.

    The provider (URL, key) stays the server's own: no argument can reach it.
    """
    args = dict(arguments or {})
    errors = sorted(_validator.iter_errors(args), key=lambda e: (list(e.absolute_path), e.validator != "required"))
    if errors:
        raise _explain(errors[0])
    prompt = args["prompt"].strip()
    if not prompt:
        raise ConfigError("prompt", "must not be blank")
    params = {key: args[key] for key in ("analysis_models", "model", "excluded_domains") if key in args}
    config = base.with_params(params, field_name="")
    if args.get("web") is False:
        config = config.replace(tools=())
    elif args.get("web") is True and config.tools == ():
        config = config.replace(tools=None)
    return Call(prompt, config)
