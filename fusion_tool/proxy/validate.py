"""What a chat-completion request must look like before the proxy does anything with it.

Reading the body (said to be JSON, else 415; within a size limit), parsing it, checking its
shape against ``chat_request.json``, and refusing the fields that would point the proxy elsewhere. What
fusion cannot honour (``n > 1``, bad plugin parameters) is ``modes.plan``'s to refuse. Every
refusal is a :class:`ProxyError` naming the field.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable
from functools import cache
from typing import Any

import openai.resources.chat.completions as sdk_completions
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from starlette.requests import ClientDisconnect, Request

from fusion_tool.core import schemas
from fusion_tool.core.errors import ClientGone, ProxyError
from fusion_tool.core.fastschema import compile_schema

DEFAULT_MAX_BODY_BYTES = 4 * 2**20

#: where the provider is and who we are come from the server's configuration only; the SDK's
#: transport options are not wire fields and would let a body set headers or query strings
REFUSED_FIELDS = ("base_url", "api_base", "api_key", "extra_headers", "extra_query", "extra_body")

#: SDK keyword arguments that are not request fields
_SDK_TRANSPORT = frozenset({"self", "extra_headers", "extra_query", "extra_body", "timeout"})


#: the one media type a request body may have (a ``charset`` parameter, if any, must be UTF-8)
JSON_MEDIA_TYPE = "application/json"
_UTF8 = ("utf-8", "utf8")


def check_content_type(value: str | None) -> None:
    """415 unless ``value`` (a ``Content-Type``) says JSON: ``application/json``, with or
    without ``charset=utf-8``. Every POST route reads its body through :func:`read_body`."""
    media, *params = (value or "").split(";")
    media = media.strip().lower()
    charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in params
                    if p.strip().lower().startswith("charset=")), None)
    if media == JSON_MEDIA_TYPE and charset in (None, *_UTF8):
        return
    got = f"got {_short_repr(value)}" if value else "none was sent"
    what = "UTF-8 JSON" if media == JSON_MEDIA_TYPE else "JSON"
    raise ProxyError(415, f"the request body must be {what}: send Content-Type: {JSON_MEDIA_TYPE} ({got})",
                     code="unsupported_media_type")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body; 415 unless it is said to be JSON, 413 past ``limit`` bytes (announced or
    counted), 499 if the client left."""
    check_content_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientGone() from None
    return b"".join(chunks)


def _too_large(limit: int) -> ProxyError:
    return ProxyError(413, f"the request body is larger than {limit} bytes", code="request_too_large")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; 400 for anything else (bad JSON, NaN, lone surrogates, ...)."""
    if not raw.strip():
        raise ProxyError(400, "the request body is empty; send a JSON chat-completion request",
                         code="invalid_json")
    try:
        body = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
        if b"\\ud" in raw.lower():  # a lone surrogate would only fail later, when re-encoded
            json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError) as exc:
        raise ProxyError(400, f"the request body is not valid JSON: {_short(exc)}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ProxyError(400, f"the request body must be a JSON object, not {_json_type(body)}",
                         code="invalid_type")
    return body


def _schema() -> dict[str, Any]:
    return schemas.load("chat_request")


def _validator() -> Draft202012Validator:
    return schemas.validator("chat_request")


@cache
def _is_valid() -> Callable[[Any], bool]:
    return compile_schema(_schema())


def check_shape(body: dict[str, Any]) -> None:
    """Refuse redirecting fields, then check the body against ``chat_request.json``."""
    for name in REFUSED_FIELDS:
        if name in body:
            raise ProxyError(400, f"{name}: not accepted; the provider and its key are the server's own "
                             "configuration", code="field_not_allowed", param=name)
    if _is_valid()(body):  # the fast path; jsonschema only to explain a failure
        return
    error = best_match(_validator().iter_errors(body))
    if error is not None:
        field, message = _explain(error)
        raise ProxyError(400, f"{field}: {message}" if field else message, code="invalid_request", param=field or None)


def _explain(error: ValidationError) -> tuple[str, str]:
    path = _path(error)
    if error.validator == "required":
        missing = next((k for k in error.validator_value if k not in error.instance), None)
        if missing is not None:
            return (f"{path}.{missing}" if path else missing), "is required"
    if error.validator == "enum" and path.endswith(".role"):
        return path, f"unknown role {_short_repr(error.instance)}; one of {', '.join(error.validator_value)}"
    if error.validator == "type":
        return path, f"expected {_types(error.validator_value)}, got {_json_type(error.instance)}"
    return path, error.message if len(error.message) < 200 else error.message[:200] + "…"


def _path(error: ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _sdk_fields() -> frozenset[str]:
    return frozenset(inspect.signature(sdk_completions.AsyncCompletions.create).parameters) - _SDK_TRANSPORT


def sdk_request(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the SDK's ``create`` keyword arguments: fields the SDK knows by name, the
    ``plugins`` fusion reads, and everything else in ``extra_body`` (sent on as it is). Null
    values are left out: the provider's default is what null asks for."""
    known = _sdk_fields()
    params: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in body.items():
        if value is None:
            continue
        if key in known or key == "plugins":
            params[key] = value
        else:
            extra[key] = value
    if extra:
        params["extra_body"] = extra
    return params


def _types(value: Any) -> str:
    names = [value] if isinstance(value, str) else list(value)
    return " or ".join("null" if t == "null" else f"an {t}" if t[0] in "aeiou" else f"a {t}" for t in names)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 160 else text[:160] + "…"


def _short_repr(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) < 60 else text[:60] + "…"
