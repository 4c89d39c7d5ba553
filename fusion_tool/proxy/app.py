"""The proxy's Starlette application: routes, the per-server resources, and error envelopes.

``create_app`` builds it; the lifespan opens one pooled HTTP client, one ``AsyncOpenAI`` and
one ``Upstream`` for the whole server (shared by every request, sized for the panel fan-out)
and closes them on shutdown. Nothing kept between requests matters for correctness: tool
mode's ``Memory`` is a per-process cache, so the app scales out over workers and hosts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import openai
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fusion_tool.core import telemetry
from fusion_tool.core.config import ALIASES, DEFAULT_PROXY_KEEPALIVE_SECONDS, FusionConfig, ProxySettings
from fusion_tool.core.errors import ClientGone, FusionError, ProxyError
from fusion_tool.core.events import Listener
from fusion_tool.core.log import get_logger
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import plan
from fusion_tool.modes.serve import include_usage, serve
from fusion_tool.provider.http import client_from_config, provider_client
from fusion_tool.provider.upstream import Upstream
from fusion_tool.proxy import deadline, fused, metrics, validate
from fusion_tool.proxy.accesslog import CLIENT_CLOSED_REQUEST, AccessLog
from fusion_tool.proxy.auth import TokenAuth
from fusion_tool.proxy.errors import as_proxy_error, error_response
from fusion_tool.proxy.limits import Inflight
from fusion_tool.proxy.observe import Observe
from fusion_tool.proxy.passthrough import Relay, RelayResponse
from fusion_tool.proxy.responses.handler import responses
from fusion_tool.state import open_store

log = get_logger("fusion_tool.proxy")

DEFAULT_KEEPALIVE_SECONDS = DEFAULT_PROXY_KEEPALIVE_SECONDS
MODELS_TIMEOUT = 5.0  # seconds to wait for the provider's own model list
TRUST_ENV = True  # as the SDK does: HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE apply upstream


@dataclass
class Runtime:
    """What every request of one server shares.

    Attributes:
        config: The server's fusion config (a request's plugin or tool parameters apply on top).
        upstream: The one provider client every fused call uses.
        relay: Pass-through to the provider; None in process, where the SDK seam sends what
            fusion does not serve itself.
        memory: Tool mode's continuation memory.
        inflight: The cap on fused requests in flight.
        keepalive_seconds: Seconds between SSE keep-alive comments.
        max_body_bytes: The largest request body read.
        on_event: A listener for every fused call's progress events; None: none.
    """

    config: FusionConfig
    upstream: Upstream
    relay: Relay | None
    memory: Memory
    inflight: Inflight
    keepalive_seconds: float
    max_body_bytes: int
    on_event: Listener | None = None


def _runtime(request: Request) -> Runtime:
    return request.state.runtime


async def chat_completions(request: Request) -> Any:
    rt = _runtime(request)
    raw = await validate.read_body(request, rt.max_body_bytes)
    body = validate.parse(raw)
    validate.check_shape(body)
    p = plan(validate.sdk_request(body), rt.config)
    request.state.mode = p.mode
    log.debug("plan", mode=p.mode, model=body.get("model"), stream=bool(body.get("stream")),
              panel=list(p.config.panel_models) if p.mode != "pass" else None)
    if p.mode == "pass":  # the body goes on byte for byte
        if rt.relay is None:
            raise ProxyError(500, "no provider to relay to (in process, the SDK seam relays)", code="internal_error")
        return RelayResponse(rt.relay, rt.relay.request("POST", "/chat/completions", request.headers, raw))
    p, keepalive = deadline.within(p, request.headers, rt.keepalive_seconds)
    release = await rt.inflight.acquire()
    if p.params.get("stream"):
        return fused.FusedStream(serve(p, rt.upstream, rt.on_event, rt.memory), include_usage=include_usage(p),
                                 keepalive_seconds=keepalive, release=release)
    try:
        return await fused.complete(request.receive, p, rt.upstream, rt.memory, rt.on_event)
    finally:
        release()


def _alias_card(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 0, "owned_by": "fusion-tool"}


async def models(request: Request) -> Response:
    """The aliases, then the provider's own models when it lists them."""
    data = [_alias_card(m) for m in ALIASES]
    relay = _runtime(request).relay
    listed = await relay.get_json("/models", MODELS_TIMEOUT) if relay is not None else None
    if isinstance(listed, dict) and isinstance(listed.get("data"), list):
        data += [m for m in listed["data"] if isinstance(m, dict) and m.get("id") not in ALIASES]
    return JSONResponse({"object": "list", "data": data})


async def healthz(request: Request) -> Response:
    inflight = _runtime(request).inflight
    return JSONResponse({"status": "ok", "inflight": inflight.count, "max_inflight": inflight.limit})


async def _refused(request: Request, exc: Exception) -> Response:
    err = as_proxy_error(exc)
    if err.status >= 500:
        log.warning("fused_call_failed", path=request.url.path, status=err.status, error=err.message)
    else:
        log.info("refused", path=request.url.path, status=err.status, error=err.message)
    return error_response(err)


async def _client_gone(request: Request, exc: Exception) -> Response:
    request.state.client_gone = True
    return Response(status_code=CLIENT_CLOSED_REQUEST)  # nobody reads it; the log does


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "unknown_route", 405: "method_not_allowed"}.get(exc.status_code)
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return error_response(ProxyError(exc.status_code, message, code=code, headers=exc.headers))


async def _internal(request: Request, exc: Exception) -> Response:
    return error_response(exc)  # a bare 500 envelope; the traceback goes to the server's log only


def create_app(
    config: FusionConfig | None = None,
    *,
    client: openai.AsyncOpenAI | None = None,
    max_inflight: int | None = None,
    keepalive_seconds: float | None = None,
    max_body_bytes: int = validate.DEFAULT_MAX_BODY_BYTES,
    token: str | None = None,
) -> Starlette:
    """The OpenAI-compatible fusion proxy as an ASGI app (it needs the lifespan to run).

    ``config`` defaults to :meth:`FusionConfig.from_env`; the provider is ``client`` when given
    (an ``AsyncOpenAI``, whose base URL and key pass-through uses too), else the config's.
    ``max_inflight`` defaults to ``FUSION_PROXY_MAX_INFLIGHT`` or 64 fused requests;
    ``keepalive_seconds=None`` reads ``FUSION_PROXY_KEEPALIVE``; ``token`` defaults to
    ``FUSION_PROXY_TOKEN`` (when set, every request needs ``Authorization: Bearer <token>``).
    """
    config = config or FusionConfig.from_env()
    settings = ProxySettings.from_env()
    limit = max_inflight or settings.max_inflight
    keepalive = keepalive_seconds or settings.keepalive_seconds
    token = token or settings.token
    observed = metrics.install()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        http = provider_client(trust_env=TRUST_ENV)
        if client is None:
            sdk = client_from_config(config, http)
            relay = Relay(http, config.base_url, config.api_key)
        else:
            sdk, relay = client, Relay(http, str(client.base_url), client.api_key)
        # shared state: in this process, in Redis (FUSION_REDIS_URL) for every worker and host, or
        # in the SQLite file a serve hands its workers
        store = open_store(config.redis_url)
        inflight = Inflight(limit, store=store if store.shared else None)
        inflight.on_change = observed.inflight_changed
        runtime = Runtime(config, Upstream.for_config(config, sdk), relay, Memory(store),
                          inflight, keepalive, max_body_bytes)
        log.info("proxy_ready", upstream=relay.base_url, max_inflight=limit,
                 state=getattr(store, "name", "in process"),
                 auth="bearer" if token else "loopback only")
        log.debug("proxy_config", config=repr(config), keepalive_seconds=keepalive, max_body_bytes=max_body_bytes)
        try:
            yield {"runtime": runtime}
        finally:
            if client is None:
                await sdk.close()
            await http.aclose()
            await inflight.aclose()
            await store.aclose()
            telemetry.flush()
            observed.worker_exit()

    return build(lifespan, token)


def build(lifespan: Any, token: str | None, *, guarded: bool = True) -> Starlette:
    """The routes, middleware and error envelopes, around ``lifespan`` (``None`` for an app whose
    runtime is handed in by its host, as the SDK front's in-process seam does). ``guarded``:
    the token rule applies (an app served in process has no network peer to guard against)."""
    routes = []
    for prefix in ("/v1", ""):
        routes += [
            Route(f"{prefix}/chat/completions", chat_completions, methods=["POST"]),
            Route(f"{prefix}/responses", responses, methods=["POST"]),
            Route(f"{prefix}/models", models, methods=["GET"]),
        ]
    routes.append(Route("/healthz", healthz, methods=["GET"]))
    routes.append(Route("/metrics", metrics.metrics_endpoint, methods=["GET"]))
    return Starlette(
        routes=routes,
        middleware=[Middleware(AccessLog), Middleware(Observe), *([Middleware(TokenAuth, token=token)] if guarded else [])],
        exception_handlers={
            ClientGone: _client_gone,
            ProxyError: _refused,
            FusionError: _refused,
            HTTPException: _http_error,
            Exception: _internal,
        },
        lifespan=lifespan,
    )
