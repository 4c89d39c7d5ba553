"""Our own HTTP, in one place: every HTTP client fusion-tool builds for itself comes from here.

=========================  ======================================  ==================================
factory                    library                                 who uses it
=========================  ======================================  ==================================
:func:`provider_client`    the SDK's aiohttp client, else httpx2    the ``AsyncOpenAI`` of every front
                                                                   (:func:`client_from_config`) and
                                                                   the proxy's pass-through relay
:func:`transport_client`   httpx2 over an in-process transport      the scripted provider's clients,
                                                                   ``wrap_openai``'s seam
:func:`fetch_client`       httpx                                   ``SafeFetcher``, one client a hop
:func:`search_client`      httpx                                   Brave, Tavily and SearXNG search
:func:`health_client`,     httpx                                   ``LocalServer``'s readiness probes
:func:`async_health_client`
=========================  ======================================  ==================================

The openai SDK (3.x) talks HTTP through httpx2 and accepts an httpx or httpx2 client; which one
we hand it is decided here and nowhere else, so the choice can change. We hand it the SDK's
aiohttp-backed client (``openai[aiohttp]``): under load it roughly halves the proxy's latency
against the httpx2 default (DESIGN.md's measured facts; ``benchmarks/`` measures both). Without
aiohttp installed, the httpx2 client serves.

The research and health clients are httpx: the fetcher's safety rests on httpcore's
``sni_hostname`` extension (connect to the checked IP, verify the certificate against the name)
and on httpx's transports, which the tests replace the way ``httpx.MockTransport`` does. Every
timeout and pool limit is a named constant below; a redirect is never followed by a client.
"""

from __future__ import annotations

import ssl
from typing import overload

import certifi
import httpx
import httpx2
import openai

from fusion_tool.core.config import FusionConfig

# -- the provider ------------------------------------------------------------------------------

#: a fused request is 2 + N upstream calls; leave room for many in flight
POOL_LIMITS = httpx2.Limits(max_connections=512, max_keepalive_connections=128, keepalive_expiry=30)
#: seconds to connect to the provider; reads have no client timeout (each call carries its own)
CONNECT_TIMEOUT = 10.0

# -- research ----------------------------------------------------------------------------------

#: seconds for one whole fetch, redirects included, and for its connect step
FETCH_TIMEOUT = 20.0
FETCH_CONNECT_TIMEOUT = 5.0
#: one connection a hop and none kept: every hop connects to the address just checked
FETCH_LIMITS = httpx.Limits(max_connections=1, max_keepalive_connections=0)
#: seconds for one search API call
SEARCH_TIMEOUT = 15.0

# -- the local server --------------------------------------------------------------------------

#: seconds for one readiness probe of the local llama.cpp server
HEALTH_TIMEOUT = 2.0


def provider_client(*, trust_env: bool = True, kind: str = "aiohttp") -> httpx2.AsyncClient:
    """The pooled async HTTP client for calls to the provider (``kind="httpx2"`` for the plain one)."""
    timeout = httpx2.Timeout(None, connect=CONNECT_TIMEOUT)
    if kind == "aiohttp":
        try:
            return openai.DefaultAioHttpClient(timeout=timeout, trust_env=trust_env, follow_redirects=False)
        except RuntimeError:  # aiohttp is not installed
            pass
    return httpx2.AsyncClient(limits=POOL_LIMITS, timeout=timeout, trust_env=trust_env, follow_redirects=False)


@overload
def transport_client(transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncClient: ...
@overload
def transport_client(transport: httpx2.BaseTransport) -> httpx2.Client: ...
def transport_client(transport: httpx2.AsyncBaseTransport | httpx2.BaseTransport) -> httpx2.AsyncClient | httpx2.Client:
    """An SDK's HTTP client whose every request ``transport`` answers in process, no network:
    the scripted provider's clients and ``wrap_openai``'s seam. Async for an async transport.

    No client timeout: the SDK sends its own with every request (the transports honour it)."""
    if isinstance(transport, httpx2.AsyncBaseTransport):
        return httpx2.AsyncClient(transport=transport, timeout=None)
    return httpx2.Client(transport=transport, timeout=None)


def fetch_tls() -> ssl.SSLContext:
    """The fetcher's TLS settings: the system's defaults with certifi's CAs."""
    return ssl.create_default_context(cafile=certifi.where())


def fetch_client(
    *,
    timeout: float = FETCH_TIMEOUT,
    connect_timeout: float = FETCH_CONNECT_TIMEOUT,
    verify: ssl.SSLContext | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """One hop of ``SafeFetcher``: no proxy or ``.netrc`` from the environment, no redirects.

    ``transport`` replaces the network (``verify`` and the limits are then the transport's own);
    the fetcher's tests reach their loopback server through one.
    """
    if verify is None and transport is None:
        verify = fetch_tls()
    return httpx.AsyncClient(
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        verify=verify or True,  # unused with a transport
        limits=FETCH_LIMITS,
        transport=transport,
    )


def search_client(
    *, timeout: float = SEARCH_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A search API call (the environment's proxy settings apply; redirects are not followed)."""
    return httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False)


def health_client() -> httpx.Client:
    """Readiness probes of a server on loopback: never through a proxy from the environment."""
    return httpx.Client(trust_env=False, timeout=HEALTH_TIMEOUT, follow_redirects=False)


def async_health_client() -> httpx.AsyncClient:
    """:func:`health_client` for an event loop."""
    return httpx.AsyncClient(trust_env=False, timeout=HEALTH_TIMEOUT, follow_redirects=False)


def client_from_config(config: FusionConfig, http_client: httpx2.AsyncClient | None = None) -> openai.AsyncOpenAI:
    """An ``AsyncOpenAI`` for the configured provider (the SDK's retries are ours to run).

    ``http_client`` shares a pool already open (the proxy's, with its pass-through)."""
    return openai.AsyncOpenAI(
        base_url=config.base_url,
        api_key=config.api_key or "not-needed",
        http_client=http_client or provider_client(),
        max_retries=0,
    )
