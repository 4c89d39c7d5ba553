"""The one retry policy: which failures are retried, how long it waits."""

from __future__ import annotations

import email.utils
import random
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusion_tool import FusionConfig, UpstreamError
from fusion_tool.provider.retry import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    BACKOFF_JITTER,
    RETRY_AFTER_CAP,
    RetryDecision,
    backoff,
    decide,
    retry_after,
)
from fusion_tool.provider.upstream import Upstream
from fusion_tool.testing import Reply


def test_retry_after_forms():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after({"retry-after": later}) <= 30
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None


def test_the_policy_is_the_documented_one():
    # the module docstring's numbers, written out: a change to any of them is a change of policy
    assert (BACKOFF_BASE, BACKOFF_CAP, BACKOFF_JITTER, RETRY_AFTER_CAP) == (0.5, 8.0, 0.5, 60.0)


@given(attempt=st.integers(1, 50), seed=st.integers())
def test_backoff_is_capped_and_jittered(attempt, seed):
    delay = backoff(attempt, random.Random(seed))
    full = min(8.0, 0.5 * 2 ** (attempt - 1))  # doubling from 0.5 s, capped at 8 s
    assert full * 0.5 <= delay <= full


def test_the_jitter_spreads_the_waits_over_half_the_backoff():
    assert backoff(3, _Fixed(0.0)) == 2.0 and backoff(3, _Fixed(1.0)) == 1.0 and backoff(3, _Fixed(0.5)) == 1.5
    assert backoff(9, _Fixed(1.0)) == 4.0
    spread = {round(backoff(2, random.Random(seed)), 6) for seed in range(50)}
    assert len(spread) > 40 and min(spread) >= 0.5 and max(spread) <= 1.0


def test_a_failure_without_a_hint_waits_the_backoff():
    for attempt, full in ((1, 0.5), (2, 1.0), (5, 8.0), (6, 8.0)):
        decision = decide(503, {}, attempt, 10, rng=_Fixed(0.0))
        assert decision.retry and decision.delay == full and decision.reason == "status 503"
    assert decide(None, None, 1, 2, rng=_Fixed(1.0)).delay == 0.25  # a connection error: the same backoff
    assert not decide(503, {}, 3, 2).retry and not decide(503, {}, 1, 0).retry
    assert decide(503, {}, 2, 2).retry  # the last allowed retry


@pytest.mark.parametrize(("status", "retried"), [(408, True), (409, True), (429, True), (500, True), (503, True),
                                                 (400, False), (401, False), (404, False), (422, False)])
async def test_which_statuses_are_retried(provider, status, retried):
    provider.add("m", lambda req: Reply(status=status, error="x") if req.attempt == 1 else Reply(text="ok"))
    waits = []

    async def no_sleep(seconds):
        waits.append(seconds)

    upstream = Upstream(provider.async_openai(), max_retries=2, sleep=no_sleep)
    if retried:
        completion, _ = await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
        assert completion["choices"][0]["message"]["content"] == "ok" and len(waits) == 1
        assert 0.25 <= waits[0] <= 0.5  # the first backoff, jittered
    else:
        with pytest.raises(UpstreamError) as info:
            await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
        assert info.value.status_code == status and waits == []


async def test_gives_up_after_max_retries_and_never_stacks_the_sdks(provider):
    provider.add("m", lambda req: Reply(status=503, error="down"))

    async def no_sleep(seconds):
        pass

    client = provider.async_openai(max_retries=5)  # the SDK's own retries are switched off inside
    upstream = Upstream(client, max_retries=2, sleep=no_sleep)
    with pytest.raises(UpstreamError):
        await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    assert len(provider.requests_for("m")) == 3


async def test_a_retry_after_past_the_cap_is_a_failure_not_a_long_wait(provider):
    provider.add("m", lambda req: Reply(status=429, headers={"Retry-After": "3600"}))
    upstream = Upstream(provider.async_openai(), max_retries=2)
    started = time.monotonic()
    with pytest.raises(UpstreamError) as info:
        await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    assert info.value.status_code == 429 and time.monotonic() - started < 1


def test_config_max_retries_reaches_the_policy():
    assert FusionConfig(max_retries=0).max_retries == 0


# ------------------------------------------------------------------ the policy against the SDK's


@pytest.mark.parametrize(("status", "retried"), [(501, False), (505, False), (511, False), (502, True),
                                                 (504, True), (524, True)])
async def test_which_5xx_are_retried(provider, status, retried):
    provider.add("m", lambda req: Reply(status=status, error="x") if req.attempt == 1 else Reply(text="ok"))

    async def no_sleep(seconds):
        pass

    upstream = Upstream(provider.async_openai(), max_retries=2, sleep=no_sleep)
    if retried:
        await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    else:
        with pytest.raises(UpstreamError):
            await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    assert len(provider.requests_for("m")) == (2 if retried else 1)


@pytest.mark.parametrize(("status", "hint", "retried"), [(400, "true", True), (503, "false", False),
                                                         (429, "false", False), (404, "true", True)])
async def test_x_should_retry_is_obeyed_first(provider, status, hint, retried):
    provider.add("m", lambda req: Reply(status=status, error="x", headers={"x-should-retry": hint})
                 if req.attempt == 1 else Reply(text="ok"))

    async def no_sleep(seconds):
        pass

    upstream = Upstream(provider.async_openai(), max_retries=2, sleep=no_sleep)
    if retried:
        await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    else:
        with pytest.raises(UpstreamError):
            await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    assert len(provider.requests_for("m")) == (2 if retried else 1)


@pytest.mark.parametrize("value", ["0", "-3", "0.0"])
def test_a_retry_after_of_zero_is_never_waited_on(value):
    decision = decide(429, {"retry-after": value}, 1, 2, rng=random.Random(1))
    assert decision.retry and BACKOFF_BASE * (1 - BACKOFF_JITTER) <= decision.delay <= BACKOFF_BASE


def test_a_retry_after_within_the_cap_is_the_wait():
    assert decide(503, {"retry-after": "7"}, 1, 2).delay == 7.0
    assert decide(503, {"retry-after-ms": "250", "retry-after": "9"}, 1, 2).delay == 0.25
    assert not decide(503, {"retry-after": str(RETRY_AFTER_CAP + 1)}, 1, 2).retry


def test_no_wait_passes_the_deadline():
    decision = decide(503, {"retry-after": "5"}, 1, 2, deadline=time.monotonic() + 1)
    assert not decision.retry and "deadline" in decision.reason


def test_backoff_doubles_up_to_the_cap():
    rng = random.Random(0)
    assert [round(backoff(a, _NoJitter()), 3) for a in (1, 2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert all(backoff(a, rng) >= backoff(a, _NoJitter()) * (1 - BACKOFF_JITTER) for a in range(1, 10))


class _NoJitter(random.Random):
    def random(self) -> float:
        return 0.0


class _Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


async def test_the_loop_waits_what_the_provider_asks_then_backs_off(provider):
    headers = [{"Retry-After": "2"}, {"retry-after-ms": "1500"}, {}]
    provider.add("m", lambda req: Reply(status=429, headers=headers[req.attempt - 1]) if req.attempt <= 3
                 else Reply(text="ok"))
    waits = []

    async def no_sleep(seconds):
        waits.append(seconds)

    upstream = Upstream(provider.async_openai(), max_retries=3, sleep=no_sleep)
    await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    assert waits[:2] == [2.0, 1.5] and 1.0 <= waits[2] <= 2.0  # the third: our backoff for retry 3


async def test_every_decision_is_logged_with_its_reason(provider, caplog):
    provider.add("m", lambda req: Reply(status=503, error="down"))

    async def no_sleep(seconds):
        pass

    upstream = Upstream(provider.async_openai(), max_retries=1, sleep=no_sleep)
    with caplog.at_level("INFO", logger="fusion_tool"), pytest.raises(UpstreamError):
        await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "q"}])
    lines = [r.getMessage() for r in caplog.records]

    def said(line: str, event: str, reason: str) -> bool:  # key=value or JSON, whichever logging is set up
        return bool(re.search(rf"""event["']?[=:] ?["']{event}["']""", line)) and reason in line

    assert any(said(line, "retry", "status 503") for line in lines), lines
    assert any(said(line, "no_retry", "gave up after 1 retries") for line in lines), lines


# ------------------------------------------------------------------ every decision, exactly


@pytest.mark.parametrize(("status", "headers", "attempt", "expected"), [
    (503, {}, 3, RetryDecision(False, 0.0, "gave up after 2 retries")),
    (503, {"x-should-retry": "false"}, 1, RetryDecision(False, 0.0, "x-should-retry: false")),
    (400, {"x-should-retry": "true"}, 1, RetryDecision(True, 0.5, "x-should-retry: true")),
    (None, None, 1, RetryDecision(True, 0.5, "connection error or timeout")),
    (None, {}, 2, RetryDecision(True, 1.0, "connection error or timeout")),
    (404, {}, 1, RetryDecision(False, 0.0, "status 404 is not retried")),
    (429, {}, 1, RetryDecision(True, 0.5, "status 429")),
    (429, {"retry-after": "61"}, 1, RetryDecision(False, 0.0, "Retry-After 61 s is past the 60 s cap")),
    (429, {"retry-after": "60"}, 1, RetryDecision(True, 60.0, "status 429, Retry-After 60 s")),  # the cap itself: waited
    (503, {"retry-after": "2.5"}, 1, RetryDecision(True, 2.5, "status 503, Retry-After 2.5 s")),
    (503, {"x-should-retry": "maybe"}, 1, RetryDecision(True, 0.5, "status 503")),  # an odd hint: no hint
])
def test_each_decision_and_its_reason(status, headers, attempt, expected):
    assert decide(status, headers, attempt, 2, rng=_Fixed(0.0)) == expected


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_a_retry_after_that_is_not_a_number_of_seconds(value):
    seconds = retry_after({"retry-after": value})
    if value == "-inf":
        assert seconds is not None and seconds > RETRY_AFTER_CAP  # unreadable as a wait: past the cap
    else:
        assert seconds is not None and seconds > RETRY_AFTER_CAP and seconds < float("inf")
    assert not decide(429, {"retry-after": value}, 1, 2).retry  # never waited on, never hammered either


def test_an_unreadable_retry_after_ms_falls_back_to_retry_after():
    assert retry_after({"retry-after-ms": "soon", "retry-after": "5"}) == 5.0
    assert retry_after({"retry-after-ms": "soon"}) is None


def test_a_wait_that_ends_past_the_deadline_is_not_started():
    decision = decide(503, {}, 1, 2, deadline=time.monotonic() + 0.1, rng=_Fixed(0.0))
    assert decision.retry is False and decision.delay == 0.0
    assert decision.reason == "status 503, but a 0.50 s wait would pass the deadline"
    assert decide(503, {}, 1, 2, deadline=time.monotonic() + 30, rng=_Fixed(0.0)).retry
