"""The JSON Schemas in ``schemas/``: loading them and validating against them.

The schema files are the single source of truth for what the calling model sees and for what a
configuration, an analysis or a tool result may hold. They ship inside the wheel as
``fusion_tool/schemas``; in a source checkout they are read from the top-level ``schemas/``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from fusion_tool.core.errors import ConfigError

_NAMES = ("fusion_tool", "fusion_config", "analysis", "tool_result", "chat_request", "responses_request")
#: the most of a bad value (or key) an error message quotes: a 1,000-entry list is not repeated
MAX_ECHO_CHARS = 60
#: the longest error message a schema check gives
MAX_MESSAGE_CHARS = 300


def _schema_dir() -> Path:
    shipped = resources.files("fusion_tool") / "schemas"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def load(name: str) -> dict[str, Any]:
    """The schema ``schemas/<name>.json`` as a dict (cached; do not mutate)."""
    if name not in _NAMES:
        raise KeyError(name)
    return json.loads((_schema_dir() / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    return Registry().with_resources(
        (f"{name}.json", Resource.from_contents(load(name))) for name in _NAMES
    )


@cache
def validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for a schema, or for one of its ``$defs``."""
    schema: dict[str, Any] = load(name)
    if definition is not None:
        schema = {"$ref": f"{name}.json#/$defs/{definition}"}
    return Draft202012Validator(schema, registry=_registry())


def fusion_function() -> dict[str, Any]:
    """The ``fusion`` function tool, ready to put in a request's ``tools``."""
    spec = load("fusion_tool")
    return {"type": "function", "function": json.loads(json.dumps(spec["function"]))}


def _path(prefix: str, error: ValidationError) -> str:
    path = prefix
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{cut(part)}" if path else cut(part))
    return path


def cut(text: Any, limit: int = MAX_ECHO_CHARS) -> str:
    """``text``, cut to ``limit`` characters (with an ellipsis) if it is longer."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _quote(value: Any) -> str:
    """A bad value as an error may quote it (as jsonschema does): short, with its size when big."""
    text = repr(value)
    if len(text) <= MAX_ECHO_CHARS:
        return text
    if isinstance(value, (list, dict)):
        size = f"{len(value)} item{'' if len(value) == 1 else 's'}"
    else:
        size = f"{len(text)} characters"
    return f"{text[:MAX_ECHO_CHARS]}… ({size})"


def message(error: ValidationError) -> str:
    """What is wrong, in words that never repeat a big value whole (see :data:`MAX_ECHO_CHARS`)."""
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "maxItems" and isinstance(value, list):
        return f"has {len(value)} items; at most {limit}"
    if kind == "minItems" and isinstance(value, list):
        return f"has {len(value)} items; at least {limit}"
    if kind == "maxLength" and isinstance(value, str):
        return f"is {len(value)} characters long; at most {limit}"
    if kind == "minLength" and isinstance(value, str):
        return f"is {len(value)} characters long; at least {limit}"
    if kind == "type":
        types = [limit] if isinstance(limit, str) else list(limit)
        return f"{_quote(value)} is not of type {', '.join(repr(t) for t in types)}"
    if kind == "enum":
        return f"{_quote(value)} is not one of {cut(repr(limit), MAX_MESSAGE_CHARS // 2)}"
    if kind == "uniqueItems":
        return "has repeated items"
    return cut(error.message, MAX_MESSAGE_CHARS)


def _explain(prefix: str, error: ValidationError) -> ConfigError:
    # name the unexpected key itself rather than its parent object
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known) if isinstance(error.instance, dict) else []
        if extra:
            base = _path(prefix, error)
            field = f"{base}.{cut(extra[0])}" if base else cut(extra[0])
            return ConfigError(field, "unknown key")
    if error.validator == "oneOf" and error.context:
        best = max(error.context, key=lambda e: len(e.relative_path))  # the deepest complaint
        return _explain(prefix, best) if best.absolute_path else ConfigError(_path(prefix, error), message(best))
    return ConfigError(_path(prefix, error), message(error))


def check(instance: Any, name: str, definition: str | None = None, *, field: str = "") -> None:
    """Validate ``instance``; raise :class:`ConfigError` naming the first bad field."""
    errors = sorted(validator(name, definition).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        raise _explain(field, errors[0])


def is_valid(instance: Any, name: str, definition: str | None = None) -> bool:
    return validator(name, definition).is_valid(instance)
