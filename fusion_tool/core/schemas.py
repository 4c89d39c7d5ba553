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
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _explain(prefix: str, error: ValidationError) -> ConfigError:
    # name the unexpected key itself rather than its parent object
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known) if isinstance(error.instance, dict) else []
        if extra:
            base = _path(prefix, error)
            field = f"{base}.{extra[0]}" if base else extra[0]
            return ConfigError(field, "unknown key")
    if error.validator == "oneOf" and error.context:
        best = max(error.context, key=lambda e: len(e.relative_path))  # the deepest complaint
        return _explain(prefix, best) if best.absolute_path else ConfigError(_path(prefix, error), best.message)
    return ConfigError(_path(prefix, error), error.message)


def check(instance: Any, name: str, definition: str | None = None, *, field: str = "") -> None:
    """Validate ``instance``; raise :class:`ConfigError` naming the first bad field."""
    errors = sorted(validator(name, definition).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        raise _explain(field, errors[0])


def is_valid(instance: Any, name: str, definition: str | None = None) -> bool:
    return validator(name, definition).is_valid(instance)
