"""What a provider takes, learnt from how it answers: the quirks a real server taught us.

Read by ``fusion_tool/upstream.py`` alone, the one place that talks to providers:

- :meth:`Dialect.adapt` shapes every request before it leaves;
- :meth:`Dialect.learn_from_error` reads a refusal; when it names a quirk not yet known, the
  request is re-sent at once, adapted, without counting as a retry;
- :meth:`Dialect.learn_from_completion` notices a cap the provider ignored;
- :class:`ToolCallDeltas` repairs streamed tool-call deltas that repeat the function's name.

Learnt per provider: each ``Upstream`` keeps the dialect it learns, structured output included
(``json_schema``, else ``json_object``, else the prompt alone: the first form a provider takes). :func:`declare` says up front what the server at a base URL is known to need
(``fusion_tool.local`` declares its own llama.cpp server, so not even the first call is wasted).

Quirks seen on llama-cpp-python 0.3.36's server (see README, "Provider notes"):

- ``max_completion_tokens`` is silently ignored (only ``max_tokens`` caps the answer);
- a ``developer`` message gets HTTP 500 (a request-validation error reported as a 500);
- ``content`` as a list of parts gets HTTP 500 ("can only concatenate str (not "list") to str");
- streamed tool-call deltas repeat ``function.name`` (and ``id``) in every chunk, so
  concatenating the deltas, as the OpenAI wire format asks, gives ``fusionfusionfusion…``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import openai

from fusion_tool.core.log import get_logger
from fusion_tool.core.transcript import is_text_part, text_of

log = get_logger("fusion_tool.provider.upstream")

TOKEN_LIMITS = ("max_completion_tokens", "max_tokens")
_REFUSALS = frozenset({400, 415, 422, 500})  # statuses with which a server refuses a request's shape
#: the forms of structured output, strongest first; a provider gets the first one it takes
STRUCTURED_OUTPUT = ("json_schema", "json_object", "prompt")
#: statuses with which a provider says it does not take a ``response_format``
NO_RESPONSE_FORMAT = frozenset({400, 404, 415, 422, 500, 501})


def response_format(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The ``response_format`` asking for JSON that matches ``schema`` in form ``mode``."""
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
    if mode == "json_object":
        # llama.cpp and others constrain json_object output to a schema given beside it
        return {"type": "json_object", "schema": schema}
    return None


@dataclass
class Dialect:
    """The request shape one provider takes. Starts as OpenAI's; changes only on evidence.

    Attributes:
        token_limit: the field that caps an answer: ``"max_completion_tokens"``, or
            ``"max_tokens"`` where the newer name is ignored or refused.
        developer_as_system: the ``developer`` role is refused: send it as ``system``.
        flat_content: lists of content parts are refused: send text parts as one string.
        structured_output: the strongest form of :data:`STRUCTURED_OUTPUT` this provider took,
            once known (``None``: not probed yet).
    """

    token_limit: str = "max_completion_tokens"
    developer_as_system: bool = False
    flat_content: bool = False
    structured_output: str | None = None

    def structured_forms(self) -> tuple[str, ...]:
        """The structured-output forms still worth trying, strongest first."""
        if self.structured_output is None:
            return STRUCTURED_OUTPUT
        return STRUCTURED_OUTPUT[STRUCTURED_OUTPUT.index(self.structured_output):]

    def adapt(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` as this provider takes them (a new dict; ``params`` is left alone)."""
        out = dict(params)
        if self.token_limit == "max_tokens" and "max_completion_tokens" in out:
            limit = out.pop("max_completion_tokens")
            out.setdefault("max_tokens", limit)
        if (self.developer_as_system or self.flat_content) and isinstance(out.get("messages"), list):
            out["messages"] = [self._message(m) for m in out["messages"]]
        return out

    def _message(self, message: Any) -> Any:
        if not isinstance(message, dict):
            return message
        changed = dict(message)
        if self.developer_as_system and changed.get("role") == "developer":
            changed["role"] = "system"
        content = changed.get("content")
        if self.flat_content and isinstance(content, list) and all(map(is_text_part, content)):
            changed["content"] = text_of(content)
        return changed

    def learn_from_error(self, exc: BaseException, params: Mapping[str, Any]) -> bool:
        """Whether ``exc`` taught a quirk not known before (then re-send ``params``, adapted)."""
        if not isinstance(exc, openai.APIStatusError) or exc.status_code not in _REFUSALS:
            return False
        text = _error_text(exc).lower()
        messages = params.get("messages") if isinstance(params.get("messages"), list) else []
        if (not self.developer_as_system and "developer" in text
                and any(isinstance(m, dict) and m.get("role") == "developer" for m in messages)):
            self.developer_as_system = True
            return self._learnt("developer_as_system", text)
        if (not self.flat_content and ("not \"list\"" in text or "not 'list'" in text)
                and any(isinstance(m, dict) and isinstance(m.get("content"), list) for m in messages)):
            self.flat_content = True
            return self._learnt("flat_content", text)
        if (self.token_limit == "max_completion_tokens" and "max_completion_tokens" in text
                and "max_completion_tokens" in params):
            self.token_limit = "max_tokens"
            return self._learnt("token_limit=max_tokens", text)
        return False

    def learn_from_completion(self, params: Mapping[str, Any], completion: Mapping[str, Any]) -> None:
        """A provider that wrote past ``max_completion_tokens`` ignores it: use ``max_tokens``."""
        cap = params.get("max_completion_tokens")
        written = (completion.get("usage") or {}).get("completion_tokens")
        if self.token_limit == "max_completion_tokens" and isinstance(cap, int) and isinstance(written, int) \
                and written > cap:
            self.token_limit = "max_tokens"
            self._learnt("token_limit=max_tokens", f"asked for at most {cap} tokens, got {written}")

    @staticmethod
    def _learnt(quirk: str, evidence: str) -> bool:
        log.warning("provider_quirk", quirk=quirk, evidence=evidence[:200])
        return True


def _error_text(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        return str(body)
    return str(exc.message or "")


_declared: dict[str, Dialect] = {}
_lock = threading.Lock()


def _key(base_url: str) -> str:
    return str(base_url).rstrip("/")


def dialect_for(base_url: str) -> Dialect:
    """A new dialect for the provider at ``base_url``: what was declared for it, else OpenAI's.
    What it learns stays with its owner (one ``Upstream``)."""
    with _lock:
        return replace(_declared.get(_key(base_url), Dialect()))


def declare(base_url: str, **quirks: Any) -> None:
    """Say up front what the provider at ``base_url`` needs, e.g. ``token_limit="max_tokens"``;
    ``Upstream`` objects made for it afterwards start from that."""
    unknown = set(quirks) - {f.name for f in fields(Dialect)}
    if unknown:
        raise TypeError(f"unknown quirk(s): {sorted(unknown)}")
    with _lock:
        key = _key(base_url)
        _declared[key] = replace(_declared.get(key, Dialect()), **quirks)


def forget(base_url: str) -> None:
    """Drop what was declared for ``base_url`` (a server that stopped; its port may be reused)."""
    with _lock:
        _declared.pop(_key(base_url), None)


class ToolCallDeltas:
    """Repairs one stream's tool-call deltas: a name or id that a delta repeats is dropped, so
    that concatenating the deltas (as the OpenAI wire format asks) gives the name once."""

    def __init__(self) -> None:
        self._names: dict[tuple[int, int], str] = {}
        self._ids: dict[tuple[int, int], str] = {}

    def __call__(self, chunk: dict[str, Any]) -> dict[str, Any]:
        for choice in chunk.get("choices") or []:
            for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                key = (choice.get("index"), delta.get("index"))
                if delta.get("id"):
                    if self._ids.get(key) == delta["id"]:
                        del delta["id"]
                    else:
                        self._ids[key] = delta["id"]
                function = delta.get("function")
                if function and function.get("name"):
                    seen = self._names.get(key, "")
                    if seen and function["name"] == seen:
                        del function["name"]
                    else:
                        self._names[key] = seen + function["name"]
        return chunk
