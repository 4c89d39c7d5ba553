"""The HTTP clients a benchmark can put under the library (and under the proxy).

``default``: what fusion-tool builds for itself (``fusion_tool.provider.http.client_from_config``: the
openai SDK over its aiohttp client); ``httpx2``: the same with the SDK's httpx2 client, the
choice fusion-tool shipped with first, kept for comparison.
"""

from __future__ import annotations

from typing import Any

KINDS = ("default", "httpx2", "aiohttp")
API_KEY = "bench"


def available(kind: str) -> bool:
    if kind != "aiohttp":
        return True
    try:
        import aiohttp  # noqa: F401
        from openai._vendor.httpx_aiohttp import Httpx2AiohttpClient  # noqa: F401
    except ImportError:
        return False
    return True


def make(kind: str, base_url: str) -> Any:
    """An ``openai.AsyncOpenAI`` for ``base_url`` over the chosen HTTP client (SDK retries off)."""
    import openai

    if kind in ("default", "httpx2"):
        from fusion_tool import FusionConfig
        from fusion_tool.provider.http import client_from_config, provider_client

        http = provider_client(kind="httpx2") if kind == "httpx2" else None
        return client_from_config(FusionConfig(base_url=base_url, api_key=API_KEY), http)
    if kind == "aiohttp":
        return openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0,
                                  http_client=openai.DefaultAioHttpClient())
    raise ValueError(f"unknown client kind {kind!r}; one of {KINDS}")


def describe(client: Any) -> str:
    """Which HTTP library a client really uses (the default may change under us)."""
    inner = getattr(client, "_client", None)
    return type(inner).__module__.split(".")[0] + "." + type(inner).__name__ if inner is not None else "?"
