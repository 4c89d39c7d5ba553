"""optillm, the peer the benchmark compares fusion with: its mixture of agents (``optillm.moa``).

optillm is not a dependency of fusion-tool (nor of an extra): its package pulls in torch,
transformers, spaCy, gradio and more, and ``import optillm`` starts its whole server module. Only
``optillm/moa.py`` is driven here, unmodified, and it needs no more than ``logging`` and
``optillm.conversation_logger`` (standard library only), so the benchmark asks for

    pip install --no-deps optillm

and loads ``optillm.moa`` under a bare ``optillm`` package object, without running
``optillm/__init__.py``. Without optillm the row is skipped with that hint.

What ``mixture_of_agents(system_prompt, query, client, model)`` sends (optillm 0.4.0), one
call after the other, every one to the same model:

1. the query with ``n=3`` (3 samples in one call); if that raises (a provider that refuses
   ``n``), 3 separate calls one by one instead; fewer than 3 answers are padded with the first;
2. a critique of the 3 candidates (``temperature`` 0.1);
3. the final answer from the candidates and the critique.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from typing import Any

INSTALL = "pip install --no-deps optillm"


def available() -> bool:
    """True when optillm's ``moa`` module is installed (its package is not imported)."""
    try:
        spec = importlib.util.find_spec("optillm")
    except (ImportError, ValueError):
        return False
    locations = list(spec.submodule_search_locations or []) if spec else []
    return any(os.path.exists(os.path.join(where, "moa.py")) for where in locations)


def version() -> str | None:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v("optillm")
    except PackageNotFoundError:
        return None


def load_moa() -> Any:
    """``optillm.moa``, imported under a bare ``optillm`` package (its ``__init__`` not run)."""
    if "optillm.moa" in sys.modules:
        return sys.modules["optillm.moa"]
    spec = importlib.util.find_spec("optillm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"optillm not installed: {INSTALL}")
    package = types.ModuleType("optillm")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    sys.modules["optillm"] = package
    return importlib.import_module("optillm.moa")
