"""The one retry policy: which failed calls are tried again, and how long to wait first.

Every inner call goes through :func:`decide` (``upstream.py`` runs the loop; the SDK's own
retries are switched off on the clients we use, so exactly one loop runs). Compared with
openai-python's ``_base_client`` (``_should_retry``, ``_calculate_retry_timeout``, 3.57):

- **Same**: ``x-should-retry: true|false`` is obeyed first; 408, 409 and 429 are retried;
  connection errors and timeouts are retried; ``retry-after-ms`` is preferred to
  ``Retry-After`` (seconds or an HTTP date); a ``Retry-After`` longer than the cap is a failure,
  not a long wait; a ``Retry-After`` of 0 (or less, or unreadable) is not waited on: our own
  backoff applies instead, so a server that says "now" cannot make us hammer it.
- **Different: which 5xx.** The SDK retries every status >= 500. We retry 500, 502, 503, 504
  and Cloudflare's origin errors 520-527 (transient by nature: OpenRouter and many providers
  sit behind it), but not 501 (Not Implemented) nor 505-511 (HTTP version, variant
  negotiation, storage, loop detected, not extended, network authentication): the same
  request gets the same answer, and a panel of five would pay for it three times.
- **Different: the Retry-After cap** is 60 s, not 120 s: a fused call is interactive, each
  panelist has its own timeout, and a panelist that must wait two minutes is better recorded
  as failed while the others go on.
- **Different: the jitter** is up to 50% (the SDK's is 25%): the panelists of one fused call
  often hit the same 429 at the same instant, and a wider spread keeps their retries apart.
- **Different: the deadline.** A wait that would end past the fused call's deadline is not
  started: the call fails now, and its panel goes on with those who answered.

Each decision carries its reason, which the loop logs.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: statuses tried again (see the module docstring for the 5xx we leave out, and why)
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, *range(520, 528)})
BACKOFF_BASE = 0.5  # seconds before the first retry when the provider says nothing (the SDK's too)
BACKOFF_CAP = 8.0  # longest backoff we choose ourselves (the SDK's too)
BACKOFF_JITTER = 0.5  # a wait is cut by up to this share, at random
RETRY_AFTER_CAP = 60.0  # longest Retry-After we honour; longer counts as a failure

_RNG = random.Random()


@dataclass(frozen=True)
class RetryDecision:
    """What to do after a failed attempt.

    Attributes:
        retry: whether to try again.
        delay: seconds to wait before the next attempt (0 when not retrying).
        reason: why, in a few words, for the log.
    """

    retry: bool
    delay: float
    reason: str


def retry_after(headers: Mapping[str, str] | Any) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date), if any."""
    if headers is None:
        return None
    try:
        for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            value = headers.get(name)
            if value is None:
                continue
            try:
                seconds = float(value) / divisor
            except ValueError:
                continue
            return seconds if math.isfinite(seconds) else RETRY_AFTER_CAP + 1
        value = headers.get("retry-after")
        if value is None:
            return None
        when = email.utils.parsedate_to_datetime(value)
        return when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None


def backoff(attempt: int, rng: random.Random = _RNG) -> float:
    """Capped exponential backoff with jitter for retry number ``attempt`` (1-based)."""
    full = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempt - 1, 64))
    return full * (1 - BACKOFF_JITTER * rng.random())


def decide(
    status: int | None,
    headers: Mapping[str, str] | Any,
    attempt: int,
    max_retries: int,
    *,
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES,
    deadline: float | None = None,
    rng: random.Random = _RNG,
) -> RetryDecision:
    """Whether failed attempt number ``attempt`` (1-based) is tried again, and after how long.

    ``status`` is None for a connection error or a timeout; ``deadline`` is a
    ``time.monotonic()`` instant no wait may pass.
    """
    if attempt > max_retries:
        return RetryDecision(False, 0.0, f"gave up after {max_retries} retries")
    hint = (headers.get("x-should-retry") if headers is not None else None) or ""
    if hint == "false":
        return RetryDecision(False, 0.0, "x-should-retry: false")
    if hint == "true":
        reason = "x-should-retry: true"
    elif status is None:
        reason = "connection error or timeout"
    elif status in retry_statuses:
        reason = f"status {status}"
    else:
        return RetryDecision(False, 0.0, f"status {status} is not retried")
    hinted = retry_after(headers)
    if hinted is not None and hinted > RETRY_AFTER_CAP:
        return RetryDecision(False, 0.0, f"Retry-After {hinted:g} s is past the {RETRY_AFTER_CAP:g} s cap")
    if hinted is not None and hinted > 0:
        delay, reason = hinted, f"{reason}, Retry-After {hinted:g} s"
    else:
        delay = backoff(attempt, rng)
    if deadline is not None and time.monotonic() + delay >= deadline:
        return RetryDecision(False, 0.0, f"{reason}, but a {delay:.2f} s wait would pass the deadline")
    return RetryDecision(True, delay, reason)
