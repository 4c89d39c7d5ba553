"""The pipeline's progress events carry what a live display needs: each panelist's answer and
sources when it is done, the judge's analysis (what the Responses API streams); the log lines
of the same events carry neither."""

from __future__ import annotations

from fusion_tool import fuse
from fusion_tool.core.events import Event

from .conftest import ANALYSIS, PANEL


async def test_done_events_carry_the_answer_and_the_analysis_but_the_log_does_not(provider, config, caplog):
    events: list[Event] = []
    with caplog.at_level("INFO", logger="fusion_tool"):
        result = await fuse("Why is the sky blue?", config=config, client=provider.async_openai(),
                            on_event=events.append)
    done = {e.model: e.data for e in events if e.kind == "panelist_done"}
    assert set(done) == set(PANEL)
    assert done[PANEL[0]]["content"] == "Answer A: 100 C, lower at altitude." and done[PANEL[0]]["sources"] == []
    judged = next(e for e in events if e.kind == "judge_done")
    assert judged.data["analysis"] == result.analysis and set(judged.data["analysis"]) == set(ANALYSIS)
    lines = "\n".join(r.getMessage() for r in caplog.records)
    assert "panelist_done" in lines and "judge_done" in lines
    assert "Answer A" not in lines and "consensus" not in lines
