"""The one scrubber: secrets out of any text that came from a provider, and out of every log line.

A provider's error message may echo what it was sent (an ``Authorization`` header, a key in a
URL). Such text reaches clients (``failed_models[].error``, the proxy's error envelopes, MCP
tool errors, the CLI's ``--json``, traces) and logs, so it passes through :func:`scrub` where
it enters: ``provider.upstream`` scrubs every :class:`~fusion_tool.core.errors.UpstreamError`
with the key of its own client, and ``core.log`` redacts every event with the same rules.

The rules, each replaced by :data:`REDACTED`:

* a bearer token: ``Bearer …`` becomes ``Bearer [redacted]``, so the message still says what
  was wrong;
* anything shaped like a provider or search key: ``sk-…``, ``pk-…``, ``rk-…`` (OpenAI,
  OpenRouter's ``sk-or-…``, Anthropic's ``sk-ant-…``), ``sk_``/``rk_`` (Stripe-like),
  ``gsk_`` (Groq), ``xai-`` (xAI), ``tvly-`` (Tavily), ``hf_`` (Hugging Face), ``AIza…``
  (Google), ``ghp_``/``github_pat_`` (GitHub), each followed by at least
  :data:`MIN_KEY_TAIL` key characters;
* the exact value of every secret the caller knows (the configured key, whatever its shape),
  when it is at least :data:`MIN_SECRET_CHARS` long; shorter values are ordinary words;
* in mappings, the value of any key named like a secret (``api_key``, ``authorization``,
  ``token``, ``secret``, ``password``, with a ``_``/``-`` prefix or not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
#: a known secret shorter than this is not scrubbed (it would cut ordinary words out of text)
MIN_SECRET_CHARS = 6
#: key characters a key-shaped value needs after its prefix
MIN_KEY_TAIL = 8

_KEY_NAMES = re.compile(r"(?:^|[_-])(api[_-]?key|authorization|token|secret|password)$", re.IGNORECASE)
_BEARER = r"(?P<scheme>\bBearer\s+)[^\s\"'`<>]+"
_KEY_SHAPES = (
    rf"\b(?:sk|pk|rk|xai|tvly)-[A-Za-z0-9_\-]{{{MIN_KEY_TAIL},}}"
    rf"|\b(?:sk|rk|gsk|hf|ghp|gho|github_pat)_[A-Za-z0-9_]{{{MIN_KEY_TAIL},}}"
    r"|\bAIza[A-Za-z0-9_\-]{30,}"
)
_RULES = re.compile(f"{_BEARER}|{_KEY_SHAPES}", re.IGNORECASE)


def _replace(match: re.Match[str]) -> str:
    return (match.group("scheme") or "") + REDACTED


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every secret by the rules above, and every value in ``secrets``, redacted."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):  # a longer one may hold a shorter
        if len(secret) >= MIN_SECRET_CHARS and secret in text:
            text = text.replace(secret, REDACTED)
    return _RULES.sub(_replace, text)


def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret (``api_key``, ``x-authorization``, ...)."""
    return bool(_KEY_NAMES.search(name))


def scrub_value(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """:func:`scrub` through strings, mappings (secret-named keys redacted whole), lists and tuples."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_name(str(k)) else scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_value(v, secrets) for v in value)
    return value
