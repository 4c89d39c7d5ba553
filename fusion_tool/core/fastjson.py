"""JSON on the hot path: orjson where it is installed, else the standard library.

Every inner call's request body and answer, and every fused answer a front sends, pass through
here: orjson parses and writes them several times faster than ``json`` (see benchmarks/). The
API is the same either way: :func:`dumps` gives UTF-8 bytes (non-ASCII kept as is), :func:`loads`
takes bytes or text. A value orjson cannot write (an integer past 64 bits, a non-string key) is
written by ``json`` instead, so the choice never changes what can be sent.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is absent
    orjson = None  # type: ignore[assignment]


def _plain_dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(value: Any) -> bytes:
    """``value`` as compact JSON, UTF-8 bytes."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return _plain_dumps(value)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """The value of the JSON text ``data``; ``ValueError`` when it is not JSON."""
    if orjson is not None:
        return orjson.loads(data)  # orjson.JSONDecodeError is a ValueError
    return json.loads(data)
