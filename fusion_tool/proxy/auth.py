"""Who may use the proxy: anyone on this machine by default; beyond loopback, a bearer token.

With ``FUSION_PROXY_TOKEN`` set, every request must carry ``Authorization: Bearer <token>``
(compared in constant time). Without it, a request that reached the server on an address other
than loopback is refused: this holds however the app is served (``fusion-tool serve`` refuses
to bind such an address in the first place; a bare ``uvicorn --host 0.0.0.0`` does not).
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from fusion_tool.core.errors import ProxyError
from fusion_tool.proxy.errors import error_body


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host is None:
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TokenAuth:
    """ASGI middleware enforcing the rule above on every HTTP request."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._check(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, body, headers = error_body(problem)
        raw = [(b"content-type", b"application/json")] + [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    def _check(self, scope: Scope) -> ProxyError | None:
        if self._expected is None:
            server = scope.get("server")
            if server is None or is_loopback(server[0]):  # a unix socket, or loopback
                return None
            return ProxyError(403, "this server is reachable beyond loopback without FUSION_PROXY_TOKEN; "
                              "set it on the server and send it as a bearer token", code="token_required")
        given = b""
        for key, value in scope.get("headers", ()):
            if key == b"authorization":
                given = value
                break
        if hmac.compare_digest(given, self._expected):
            return None
        return ProxyError(401, "missing or wrong bearer token (Authorization: Bearer <FUSION_PROXY_TOKEN>)",
                          code="invalid_token", headers={"www-authenticate": "Bearer"})
