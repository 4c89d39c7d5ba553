"""The one retry policy: which failures are retried, how long it waits."""

from __future__ import annotations

import email.utils
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusion_tool import FusionConfig, UpstreamError
from fusion_tool.provider.upstream import BACKOFF_CAP, Upstream, backoff, retry_after
from fusion_tool.testing import Reply


def test_retry_after_forms():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after({"retry-after": later}) <= 30
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None


@given(attempt=st.integers(1, 50), seed=st.integers())
def test_backoff_is_capped_and_jittered(attempt, seed):
    delay = backoff(attempt, random.Random(seed))
    assert 0 < delay <= BACKOFF_CAP


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
        assert completion.choices[0].message.content == "ok" and len(waits) == 1
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
