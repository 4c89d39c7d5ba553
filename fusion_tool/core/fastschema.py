"""A fast yes/no check for the small part of JSON Schema that our schemas use.

``jsonschema`` walks a schema generically and spends ~0.2 ms on each chat message: 20 ms for
a 100-message agent transcript, on every pass-through request (``chat_request.json``), and
about 1 ms on every judge's analysis (``analysis.json``). This compiles the schema once
into plain Python closures (~5 µs a message) to answer "valid or not"; ``jsonschema`` still
explains a failure, and a test holds the two to the same answers. A keyword outside the subset
is refused at compile time, so the schema cannot outgrow this silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

SUPPORTED = frozenset({
    "type", "required", "properties", "items", "enum", "const", "minItems", "minLength", "minimum",
    "allOf", "if", "then", "$ref", "$defs", "$schema", "$id", "title", "description", "additionalProperties",
})

_CLASSES = {"string": str, "array": list, "object": dict, "null": type(None)}


def _type_check(names: set[str]) -> Check:
    unknown = names - {*_CLASSES, "boolean", "number", "integer"}
    if unknown:
        raise ValueError(f"unknown types: {sorted(unknown)}")
    classes = tuple(cls for name, cls in _CLASSES.items() if name in names)
    allow_bool, number, integer = "boolean" in names, "number" in names, "integer" in names

    def check(v: Any) -> bool:
        if isinstance(v, bool):  # JSON's true is not the number 1
            return allow_bool
        if isinstance(v, classes):
            return True
        if number and isinstance(v, (int, float)):
            return True
        return integer and (isinstance(v, int) or (isinstance(v, float) and v.is_integer()))

    return check


def _key(value: Any) -> tuple[type, Any]:
    """A hashable identity under JSON equality: ``true`` is not ``1``, ``1.0`` is ``1``."""
    if isinstance(value, bool):
        return bool, value
    if isinstance(value, (int, float)):
        return float, value
    return type(value), value


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _every(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(v: Any) -> bool:
        for c in checks:
            if not c(v):
                return False
        return True

    return check


def _one_of_values(options: list[Any]) -> Check:
    if not all(isinstance(o, (str, int, float, bool)) or o is None for o in options):
        raise ValueError("enum and const take scalars here")
    keys = frozenset(_key(o) for o in options)

    def check(v: Any) -> bool:
        try:
            return _key(v) in keys
        except TypeError:  # unhashable: an array or object, never one of the scalars
            return False

    return check


def _required(keys: tuple[str, ...]) -> Check:
    def check(v: Any) -> bool:
        if isinstance(v, dict):
            for key in keys:
                if key not in v:
                    return False
        return True

    return check


def _properties(props: list[tuple[str, Check]]) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key, c in props:
            if key in v and not c(v[key]):
                return False
        return True

    return check


def _only(keys: frozenset[str]) -> Check:
    def check(v: Any) -> bool:
        return not isinstance(v, dict) or keys.issuperset(v)

    return check


def _items(item: Check) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, list):
            return True
        for x in v:
            if not item(x):
                return False
        return True

    return check


def compile_schema(schema: dict[str, Any]) -> Check:
    """A predicate equivalent to validating against ``schema`` (local ``$ref``s only)."""
    compiled: dict[str, Check] = {}
    compiling: set[str] = set()

    def ref(pointer: str) -> Check:
        if not pointer.startswith("#/$defs/"):
            raise ValueError(f"only local $defs references are supported, not {pointer!r}")
        name = pointer.removeprefix("#/$defs/")
        if name not in compiled:
            if name in compiling:
                raise ValueError(f"recursive $ref to {name!r} is outside the fast subset")
            compiling.add(name)
            compiled[name] = build(schema["$defs"][name])
        return compiled[name]

    def build(node: dict[str, Any]) -> Check:
        unknown = set(node) - SUPPORTED
        if unknown:
            raise ValueError(f"keywords outside the fast subset: {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in node:
            checks.append(ref(node["$ref"]))
        if "type" in node:
            checks.append(_type_check({node["type"]} if isinstance(node["type"], str) else set(node["type"])))
        if "enum" in node:
            checks.append(_one_of_values(node["enum"]))
        if "const" in node:
            checks.append(_one_of_values([node["const"]]))
        if "minLength" in node:
            n = node["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
        if "minimum" in node:
            low = node["minimum"]
            checks.append(lambda v: not _number(v) or v >= low)
        if "minItems" in node:
            count = node["minItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) >= count)
        if "items" in node:
            checks.append(_items(build(node["items"])))
        if "required" in node:
            checks.append(_required(tuple(node["required"])))
        if "properties" in node:
            checks.append(_properties([(k, build(sub)) for k, sub in node["properties"].items()]))
        if node.get("additionalProperties", True) is not True:
            if node["additionalProperties"] is not False:
                raise ValueError("additionalProperties takes true or false here")
            checks.append(_only(frozenset(node.get("properties", {}))))
        for sub in node.get("allOf", ()):
            checks.append(build(sub))
        if "if" in node:
            condition = build(node["if"])
            then = build(node["then"]) if "then" in node else (lambda v: True)
            checks.append(lambda v: not condition(v) or then(v))
        return _every(checks) if checks else (lambda v: True)

    return build(schema)
