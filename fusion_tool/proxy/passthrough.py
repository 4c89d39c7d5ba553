"""Pass-through: a request that is not fusion goes to the provider as it came, and the
provider's answer comes back as it is (status, useful headers, bytes as they arrive).

The only things changed on the way: the provider and the Authorization header are the server's
own (the client's key, if any, goes nowhere), hop-by-hop headers stay on their hop, and an
error's body (status 400 and up, read whole, at most :data:`MAX_ERROR_BYTES`) is scrubbed of
secrets (``core.scrub``, with the server's key), since a provider may echo what it was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx2
from starlette.types import Receive, Scope, Send

from fusion_tool.core.errors import ProxyError
from fusion_tool.core.log import get_logger
from fusion_tool.core.scrub import scrub
from fusion_tool.proxy.disconnect import respond_until_disconnect
from fusion_tool.proxy.errors import error_body

log = get_logger("fusion_tool.proxy")

#: request headers a client may send on to the provider (attribution, content negotiation)
FORWARDED_REQUEST_HEADERS = ("accept", "user-agent", "http-referer", "x-title", "openai-beta")

#: response headers that describe this hop, not the answer, or belong to the provider's domain;
#: the server sets its own ``date`` and ``server``
DROPPED_RESPONSE_HEADERS = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "proxy-connection",
    "set-cookie", "alt-svc", "date", "server",
})

#: the most of a provider's error body the relay reads to scrub; the rest is cut
MAX_ERROR_BYTES = 1 << 20


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """The provider's response headers a client should see, as ASGI header pairs."""
    pairs = [(k.lower(), v) for k, v in headers]
    named_by_connection = {
        token.strip().lower()
        for k, v in pairs if k == "connection" for token in v.split(",")
    }
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs
            if k not in DROPPED_RESPONSE_HEADERS and k not in named_by_connection]


class Relay:
    """Sends requests to the configured provider through one pooled HTTP client."""

    def __init__(self, http: httpx2.AsyncClient, base_url: str, api_key: str | None) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._auth = f"Bearer {api_key}" if api_key else None
        self._key = api_key

    def __repr__(self) -> str:  # never the key
        return f"Relay({self.base_url!r})"

    def headers(self, incoming: Mapping[str, str]) -> dict[str, str]:
        out = {k: incoming[k] for k in FORWARDED_REQUEST_HEADERS if k in incoming}
        out["content-type"] = "application/json"
        # the client's own choice: raw bytes are relayed, so compression must be what it accepts
        out["accept-encoding"] = incoming.get("accept-encoding", "identity")
        if self._auth:
            out["authorization"] = self._auth
        return out

    def request(self, method: str, path: str, incoming: Mapping[str, str], body: bytes = b"") -> httpx2.Request:
        headers = self.headers(incoming)
        log.debug("relay", method=method, url=self.base_url + path, headers=sorted(headers), bytes=len(body))
        return self._http.build_request(method, self.base_url + path, content=body or None, headers=headers)

    async def send(self, request: httpx2.Request) -> httpx2.Response:
        """The provider's response, body not yet read; 502 when it cannot be reached."""
        try:
            return await self._http.send(request, stream=True)
        except httpx2.HTTPError as exc:
            raise ProxyError(502, f"the provider could not be reached: {type(exc).__name__}",
                             code="upstream_unreachable") from None

    def scrub(self, text: str) -> str:
        """``text`` without secrets: ``core.scrub``'s rules and the server's own key."""
        return scrub(text, (self._key,))

    async def get_json(self, path: str, timeout: float) -> Any:
        """A small GET (``/models``); None on any failure."""
        try:
            response = await self._http.get(self.base_url + path, headers=self.headers({}), timeout=timeout)
            return response.json() if response.status_code == 200 else None
        except (httpx2.HTTPError, ValueError):
            return None


class RelayResponse:
    """An ASGI response that sends ``request`` on and streams the provider's answer back,
    cancelling the upstream request if the client goes away."""

    def __init__(self, relay: Relay, request: httpx2.Request) -> None:
        self._relay = relay
        self._request = request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond_until_disconnect(scope, receive, self._respond(send))

    async def _respond(self, send: Send) -> None:
        try:
            upstream = await self._relay.send(self._request)
        except ProxyError as exc:
            status, body, _ = error_body(exc)
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            if upstream.status_code >= 400:
                await self._error(upstream, send)
                return
            await send({"type": "http.response.start", "status": upstream.status_code,
                        "headers": response_headers(upstream.headers.multi_items())})
            try:
                async for chunk in upstream.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx2.HTTPError:
                pass  # the provider broke off mid-answer: end ours where its ended
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await upstream.aclose()

    async def _error(self, upstream: httpx2.Response, send: Send) -> None:
        """The provider's error, read whole (decoded, capped), scrubbed, sent with its length."""
        read = bytearray()
        try:
            async for chunk in upstream.aiter_bytes():
                read += chunk
                if len(read) >= MAX_ERROR_BYTES:
                    break
        except httpx2.HTTPError:
            pass  # the provider broke off: what came is what there is
        data = bytes(read[:MAX_ERROR_BYTES])
        text = data.decode("utf-8", errors="replace")
        clean = self._relay.scrub(text)
        body = data if clean == text else clean.encode("utf-8")
        kept = [(k, v) for k, v in upstream.headers.multi_items()
                if k.lower() not in ("content-encoding", "content-length")]
        headers = [*response_headers(kept), (b"content-length", str(len(body)).encode("latin-1"))]
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
