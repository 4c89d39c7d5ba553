"""Errors the proxy answers with, in the OpenAI envelope ``{"error": {message, type, code, param}}``.

``ProxyError`` (defined in ``core.errors`` with every other error) is what the request handlers
raise for anything they refuse; :func:`envelope_for` turns any exception (ours, fusion's or an
unexpected one) into a status and an envelope, so no handler ever builds an error body itself and
none ever carries a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from fusion_tool.core.errors import ConfigError, FusionFailed, ProxyError, UpstreamError

#: the ``type`` of the envelope, by status (OpenAI's names where it has one)
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    499: "client_closed_request",
    500: "server_error",
    502: "upstream_error",
}

#: a fused call's failure reasons that mean "out of time": 504 rather than 502
TIMEOUT_REASONS = frozenset({"deadline_exceeded", "writer_timeout"})

#: upstream statuses inside fusion that say "your request, as sent on, was refused": relayed as
#: they are, so that clients do not retry a whole fused call for them (SDKs retry any 5xx)
RELAYED_UPSTREAM_STATUSES = frozenset({400, 404, 413, 422})


def envelope(status: int, message: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": _TYPES.get(status, "invalid_request_error" if status < 500
                                                              else "server_error"),
                      "code": code, "param": param}}


def as_proxy_error(exc: BaseException) -> ProxyError:
    """Any exception as a :class:`ProxyError` (unexpected ones become a bare 500)."""
    if isinstance(exc, ProxyError):
        return exc
    if isinstance(exc, ConfigError):
        return ProxyError(400, str(exc), code="invalid_parameter", param=exc.field or None)
    if isinstance(exc, FusionFailed):
        status = 504 if exc.failure_reason in TIMEOUT_REASONS else 502
        return ProxyError(status, f"fusion could not answer: {exc}", code=exc.failure_reason)
    if isinstance(exc, UpstreamError):
        where = f" ({exc.model})" if exc.model else ""
        if exc.status_code in RELAYED_UPSTREAM_STATUSES:
            return ProxyError(exc.status_code, f"the provider refused a fusion call{where}: {exc}",
                              code="upstream_refused")
        return ProxyError(502, f"fusion could not answer: a provider call failed{where}: {exc}",
                          code="upstream_error")
    return ProxyError(500, "internal error in the fusion proxy; see the server's log", code="internal_error")


def error_body(exc: BaseException) -> tuple[int, bytes, dict[str, str]]:
    """(status, JSON body, extra headers) for ``exc``."""
    err = as_proxy_error(exc)
    body = json.dumps(envelope(err.status, err.message, code=err.code, param=err.param), ensure_ascii=False)
    return err.status, body.encode("utf-8"), err.headers


def error_response(exc: BaseException) -> Response:
    status, body, headers = error_body(exc)
    return Response(body, status_code=status, headers=headers, media_type="application/json")
