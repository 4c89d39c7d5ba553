"""The one exception tree of fusion-tool: every exception class it defines is here.

    FusionError                 base class: catch it to catch anything fusion-tool raises on purpose
    ├── ConfigError             a configuration value or request field is invalid (names it); also a ValueError
    ├── UpstreamError           a provider call failed for good (retries exhausted or not retryable)
    │   └── BudgetSkipped       an inner call not started: its worst case does not fit max_cost
    ├── FusionFailed            a fused answer has nothing to stand on (no panelist answered in time), or no writer
    ├── HostError               a URL's host is malformed or ambiguous (refused, not resolved); also a ValueError
    ├── FetchError              ``web_fetch`` could not read a page (``reason`` is fit for the model)
    │   └── FetchRefused        ... refused by policy (private address, blocked domain, bad URL)
    ├── SearchError             a search provider gave no usable answer
    ├── LocalUnavailable        the ``[local]`` extra (llama.cpp server, bundled model) is missing
    ├── LocalServerError        the local llama.cpp server did not start
    ├── DracoError              a line of a DRACO file is not a task; also a ValueError
    ├── ProxyError              the proxy refuses a request (HTTP status and OpenAI error envelope)
    └── ClientGone              the proxy's client disconnected before its response was complete

Panelist failures are not exceptions: they are recorded in ``failed_models``. The classes are
also importable where they are used (``fusion_tool``, ``fusion_tool.local``,
``fusion_tool.pipeline.research``, ``fusion_tool.eval``); they are defined only here.
"""

from __future__ import annotations

from collections.abc import Mapping


class FusionError(Exception):
    """Base class of every error fusion-tool raises on purpose."""


class ConfigError(FusionError, ValueError):
    """A configuration or request field is invalid.

    ``field`` is a dotted path to the offending value, e.g. ``plugins[0].analysis_models``, or
    the environment variable's name, e.g. ``FUSION_PANEL_TIMEOUT``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class FusionFailed(FusionError):
    """A fused answer was asked for, but the panel gave nothing to write it from, or the writer
    gave no answer in time.

    ``failure_reason`` is the tool result's (``all_panels_failed``, ``deadline_exceeded``, ...),
    or ``writer_timeout``; ``failed_models`` lists each panelist's failure. The proxy answers 502
    (504 for ``deadline_exceeded`` and ``writer_timeout``), with ``failure_reason`` as the error code.
    """

    def __init__(self, message: str, *, failure_reason: str, failed_models: list | None = None) -> None:
        self.failure_reason = failure_reason
        self.failed_models = list(failed_models or [])
        super().__init__(message)


class UpstreamError(FusionError):
    """A call to the provider failed for good (retries exhausted or not retryable)."""

    def __init__(self, message: str, *, status_code: int | None = None, model: str | None = None) -> None:
        self.status_code = status_code
        self.model = model
        super().__init__(message)


class BudgetSkipped(UpstreamError):
    """An inner call was not started: its worst case no longer fits the fused call's
    ``max_cost`` (see ``fusion_tool.pipeline.spend``). Never sent, so never billed."""


class HostError(FusionError, ValueError):
    """A host is malformed or ambiguous; ``str(err)`` is a short reason."""


class FetchError(FusionError):
    """A page could not be fetched; ``reason`` is a short sentence fit for the model."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class FetchRefused(FetchError):
    """The fetch was refused by policy before (or instead of) a request."""


class SearchError(FusionError):
    """A search provider gave no usable answer; the message is short and holds no secret."""


class LocalUnavailable(FusionError):
    """The ``[local]`` extra (the llama.cpp server or the bundled model) is not installed."""


class LocalServerError(FusionError):
    """The local server did not start (its log's last lines are in the message)."""


class DracoError(FusionError, ValueError):
    """A line that is not a DRACO task; the message names the file and line."""


class ProxyError(FusionError):
    """A refusal by the proxy: the HTTP status and the fields of the OpenAI error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = dict(headers or {})


class ClientGone(FusionError):
    """The client disconnected before its response was complete (logged as status 499)."""
