"""Logging: structlog events through the standard ``logging`` module, secrets always redacted.

A library should be quiet until asked: events go to the ``fusion_tool`` loggers, so an
application's own logging setup decides what is shown (nothing below WARNING by default).
:func:`configure` is what the CLI and the proxy call: a stderr handler, JSON when asked
(``FUSION_LOG=json``), level from ``FUSION_LOG_LEVEL`` (default ``warning``), both read by
:class:`~fusion_tool.core.config.LogSettings`.
Keys and Authorization headers never reach a log line, whatever the configuration: every
event passes :func:`fusion_tool.core.scrub.scrub_value`, the rules client-facing text passes too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from fusion_tool.core.config import DEFAULT_LOG_LEVEL, LogSettings
from fusion_tool.core.scrub import scrub_value

_state = {"json": False}


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: drop secrets by key name and by their look (``core.scrub``'s rules)."""
    return scrub_value(dict(event))


_json = structlog.processors.JSONRenderer()
_kv = structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True)


def _render(logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
    return (_json if _state["json"] else _kv)(logger, method, event)


def get_logger(name: str = "fusion_tool") -> Any:
    """A structlog logger writing to the stdlib logger ``name``."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.add_log_level, redact, _render],
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def configure(level: str | None = None, json: bool | None = None, stream: Any = None) -> None:
    """Show fusion-tool's events on stderr (the CLI's and the proxy's setting); ``level`` and
    ``json`` default to the environment's :class:`LogSettings`."""
    settings = LogSettings.from_env()
    _state["json"] = json if json is not None else settings.json
    name = (level or settings.level or DEFAULT_LOG_LEVEL).upper()
    logger = logging.getLogger("fusion_tool")
    logger.setLevel(getattr(logging, name, logging.WARNING))
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
