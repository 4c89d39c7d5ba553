"""The one exception tree of fusion-tool.

    FusionError
    ├── ConfigError        bad configuration or request field (names the field)
    └── UpstreamError      the provider could not give an answer (after retries)

Panelist failures are not exceptions: they are recorded in ``failed_models``.
"""

from __future__ import annotations


class FusionError(Exception):
    """Base class of every error fusion-tool raises on purpose."""


class ConfigError(FusionError, ValueError):
    """A configuration or request field is invalid.

    ``field`` is a dotted path to the offending value, e.g. ``plugins[0].analysis_models``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class UpstreamError(FusionError):
    """A call to the provider failed for good (retries exhausted or not retryable)."""

    def __init__(self, message: str, *, status_code: int | None = None, model: str | None = None) -> None:
        self.status_code = status_code
        self.model = model
        super().__init__(message)
