"""Reused results live where the server's shared state lives (issue 17): the modes hand the
memory's store (in process, or Redis with FUSION_REDIS_URL) to the pipeline, so a second
worker sharing the store reuses a result the first one paid for."""

from __future__ import annotations

from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import plan
from fusion_tool.modes.serve import serve
from fusion_tool.pipeline import reuse
from fusion_tool.provider.upstream import Upstream
from fusion_tool.state.store import LocalStore

from .conftest import PANEL

MESSAGES = [{"role": "user", "content": "What does the evidence say about four-day work weeks and output?"}]


async def test_two_workers_sharing_a_store_reuse_one_panel(provider, config):
    shared = LocalStore()  # what two workers share through Redis
    cfg = config.replace(reuse_ttl=60)
    workers = [(Upstream.for_config(cfg, provider.async_openai()), Memory(shared)) for _ in range(2)]
    answers = []
    for upstream, memory in workers:
        request = {"model": "openrouter/fusion", "messages": MESSAGES}
        answers.append(await serve(plan(request, cfg), upstream, None, memory))
    assert sum(len(provider.requests_for(m)) for m in PANEL) == len(PANEL)  # one panel, paid once
    assert answers[1]["fusion"]["trace"].get("reused")
    kept = [k for k in shared._items if k.startswith("fusion:reuse:")]
    assert len(kept) == 1  # the result was kept in the shared store, not in this process's fallback
    assert await reuse.PROCESS_RESULTS.get_many(kept) == [None]
