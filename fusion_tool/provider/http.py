"""Our own HTTP, in one place: the clients fusion-tool builds for itself.

The openai SDK (3.x) talks HTTP through httpx2 and accepts an httpx or httpx2 client; which one
we hand it is decided here and nowhere else, so the choice can change. We hand it the SDK's
aiohttp-backed client (``openai[aiohttp]``): under load it roughly halves the proxy's latency
against the httpx2 default (DESIGN.md's measured facts; ``benchmarks/`` measures both). Without
aiohttp installed, the httpx2 client serves.
"""

from __future__ import annotations

import httpx2
import openai

from fusion_tool.core.config import FusionConfig

#: a fused request is 2 + N upstream calls; leave room for many in flight
POOL_LIMITS = httpx2.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=30)
CONNECT_TIMEOUT = 10.0


def async_http_client(*, trust_env: bool = True, kind: str = "aiohttp") -> httpx2.AsyncClient:
    """The pooled async HTTP client for calls to the provider (``kind="httpx2"`` for the plain one)."""
    timeout = httpx2.Timeout(None, connect=CONNECT_TIMEOUT)
    if kind == "aiohttp":
        try:
            return openai.DefaultAioHttpClient(timeout=timeout, trust_env=trust_env, follow_redirects=False)
        except RuntimeError:  # aiohttp is not installed
            pass
    return httpx2.AsyncClient(limits=POOL_LIMITS, timeout=timeout, trust_env=trust_env, follow_redirects=False)


def client_from_config(config: FusionConfig, http_client: httpx2.AsyncClient | None = None) -> openai.AsyncOpenAI:
    """An ``AsyncOpenAI`` for the configured provider (the SDK's retries are ours to run).

    ``http_client`` shares a pool already open (the proxy's, with its pass-through)."""
    return openai.AsyncOpenAI(
        base_url=config.base_url,
        api_key=config.api_key or "not-needed",
        http_client=http_client or async_http_client(),
        max_retries=0,
    )
