"""``fusion-tool eval`` end to end on the shipped DRACO sample, against the scripted provider over
real loopback HTTP: the report, the chart, the arithmetic, and resuming without repeating work.

The grader behaviour is deterministic: a criterion is MET when the word quoted in its
requirement appears in the answer, so every expected score below is worked out by hand.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from pathlib import Path

import pytest

from fusion_tool.cli import eval as cli
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest

from .conftest import ANALYSIS, is_writer

SAMPLE = Path(__file__).parent / "data" / "draco_sample.jsonl"
SOLO, PANEL, JUDGE, GRADER = "solo/small", ("panel/a", "panel/b"), "judge/j", "grader/g"
FUSION = f"panel={','.join(PANEL)};judge={JUDGE}"
SOLO_NAME, FUSION_NAME = f"solo:{SOLO}", f"fusion:{FUSION}"

TIDES = "Why do most coasts see two high tides a day?"
BREAD = "What makes bread dough rise?"
COMPOUND = "What is compound interest, in plain words?"
INDEX = "What is an index fund and why do people buy them?"
SOLO_ANSWERS = {  # score: tides 1/6, bread max(0, -1/8), compound 5/10, index 4/4
    TIDES: "The Moon's gravity pulls the sea, and the wind also causes the tides.",
    BREAD: "Yeast makes it rise, but you also need baking soda.",
    COMPOUND: "The principal grows each year; for example 100 at 5% becomes 105.",
    INDEX: "An index fund gives diversification at low fees.",
}
FUSED_ANSWERS = {  # score: tides 6/6, bread 7/8, compound 10/10, index max(0, -1/4)
    TIDES: "The Moon's gravity raises a bulge; the centrifugal effect raises another; spring and neap tides vary.",
    BREAD: "Yeast fermentation releases carbon dioxide, which inflates the dough.",
    COMPOUND: "Interest on interest: the principal grows, for example 100 at 5% is 110.25 after two years.",
    INDEX: "Index funds bring diversification, and their returns are guaranteed.",
}
SOLO_SCORE = (100 / 6 + 0 + 50 + 100) / 4
FUSION_SCORE = (100 + 87.5 + 100 + 0) / 4
CRITERIA = 4 + 4 + 3 + 3


def grader(req: ScriptedRequest) -> Reply:
    text = req.last_user_text
    requirement = re.search(r"Criterion \([^)]*\):\n(.*?)\n\nResponse:", text, re.S).group(1)
    keyword = re.search(r'"([^"]+)"', requirement).group(1)
    response = re.search(r"<<<BEGIN RESPONSE [^\n]*>>>\n(.*)\n<<<END RESPONSE", text, re.S).group(1)
    met = keyword.lower() in response.lower()
    return Reply(json={"verdict": "MET" if met else "UNMET", "justification": f"{keyword!r} present: {met}"})


def judge(req: ScriptedRequest) -> Reply:
    if is_writer(req):
        return Reply(text=FUSED_ANSWERS[req.last_user_text])
    return Reply(json=ANALYSIS)


def behaviours(grading=grader) -> dict:
    panelist = lambda req: Reply(text=f"A panel answer to: {req.last_user_text}")  # noqa: E731
    return {SOLO: lambda req: Reply(text=SOLO_ANSWERS[req.last_user_text]), PANEL[0]: panelist,
            PANEL[1]: panelist, JUDGE: judge, GRADER: grading}


@pytest.fixture
def provider(monkeypatch):
    scripted = ScriptedProvider(behaviours())
    with scripted.serve() as base_url:
        monkeypatch.setenv("FUSION_BASE_URL", base_url)
        monkeypatch.setenv("FUSION_API_KEY", "test-key")
        for name in ("FUSION_PANEL", "FUSION_JUDGE", "FUSION_STRAGGLER_GRACE", "FUSION_PANEL_TIMEOUT"):
            monkeypatch.delenv(name, raising=False)
        yield scripted
    scripted.close()


def evaluate(out: Path, *extra: str, progress: bool = False) -> int:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    argv = [str(SAMPLE), "--solo", SOLO, "--fusion", FUSION, "--grader", GRADER, "--no-web",
            "--max-retries", "0", "--out", str(out), *extra]
    return cli.run(parser.parse_args(argv + ([] if progress else ["--no-progress"])))


def calls(provider: ScriptedProvider) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in provider.requests:
        counts[request.model] = counts.get(request.model, 0) + 1
    return counts


def results(out: Path) -> dict[str, dict]:
    return {r["config"]: r for r in json.loads((out / "results.json").read_text())["configurations"]}


def cache_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "cache.jsonl").read_text().splitlines() if line.strip()]


def test_the_sample_is_answered_graded_and_reported(provider, tmp_path, capsys):
    assert evaluate(tmp_path) == 0
    assert calls(provider) == {SOLO: 4, PANEL[0]: 4, PANEL[1]: 4, JUDGE: 8, GRADER: 2 * CRITERIA}
    got = results(tmp_path)
    assert got[SOLO_NAME]["score"] == pytest.approx(SOLO_SCORE)
    assert got[FUSION_NAME]["score"] == pytest.approx(FUSION_SCORE)
    assert got[SOLO_NAME]["domains"]["Science"]["score"] == pytest.approx((100 / 6 + 0) / 2)
    assert got[FUSION_NAME]["domains"]["Finance"]["score"] == pytest.approx(50.0)
    fused, solo = got[FUSION_NAME], got[SOLO_NAME]
    assert fused["cost_per_task"] > solo["cost_per_task"] > 0  # fusion's cost is every inner call's
    assert fused["latency_median_s"] > 0 and fused["grading_cost"] > 0
    table = capsys.readouterr().out
    assert f"| `{FUSION_NAME}` | 71.9 | 4/4 |" in table
    assert "| configuration | Finance | Science |" in table
    assert (tmp_path / "report.md").read_text() == table + "\n![score against cost](score_vs_cost.png)\n" \
        if (tmp_path / "score_vs_cost.png").exists() else table
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "score_vs_cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the grader read the error criterion as an error, and every verdict is on record
    errors = [r for r in provider.requests_for(GRADER) if "ERROR" in r.system_text]
    assert len(errors) == 2 * 3
    assert all(r.body["temperature"] == 0 for r in provider.requests_for(GRADER))  # one grading: reproducible
    assert sum(1 for r in cache_lines(tmp_path) if r["type"] == "verdict") == 2 * CRITERIA


def test_a_run_killed_midway_resumes_with_only_the_missing_calls(monkeypatch, tmp_path):
    served = {"n": 0}

    def dies_after_ten(req: ScriptedRequest) -> Reply:
        served["n"] += 1
        if served["n"] > 10:
            raise RuntimeError("grader down")
        return grader(req)

    first = ScriptedProvider(behaviours(dies_after_ten))
    with first.serve() as base_url:
        monkeypatch.setenv("FUSION_BASE_URL", base_url)
        monkeypatch.setenv("FUSION_API_KEY", "test-key")
        assert evaluate(tmp_path) == 1  # not finished: resumable
    # every grading was asked once (a probe refused mid-way may step down a structured-output form)
    assert len({r.last_user_text for r in first.requests_for(GRADER)}) == 2 * CRITERIA
    assert sum(1 for r in cache_lines(tmp_path) if r["type"] == "verdict") == 10
    assert "Not finished" in (tmp_path / "report.md").read_text()

    second = ScriptedProvider(behaviours())
    with second.serve() as base_url:
        monkeypatch.setenv("FUSION_BASE_URL", base_url)
        assert evaluate(tmp_path) == 0
    assert calls(second) == {GRADER: 2 * CRITERIA - 10}  # no answer again, no verdict again
    assert results(tmp_path)[FUSION_NAME]["score"] == pytest.approx(FUSION_SCORE)


def test_deleted_and_torn_cache_lines_are_redone_and_nothing_else(provider, tmp_path):
    assert evaluate(tmp_path) == 0
    lines = (tmp_path / "cache.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]

    def gone(r: dict) -> bool:
        solo_answer = r["type"] == "answer" and r["config"] == SOLO_NAME and r["task"] == "fin-index"
        two_verdicts = (r["type"] == "verdict" and r["config"] == FUSION_NAME and r["task"] == "sci-tides"
                        and r["criterion"] in ("accuracy/a1", "accuracy/a3"))
        return solo_answer or two_verdicts

    kept = [line for line, r in zip(lines, records) if not gone(r)]
    assert len(kept) == len(lines) - 3
    (tmp_path / "cache.jsonl").write_text("\n".join(kept) + '\n{"type": "verdict", "task": "sci-')  # torn
    provider.reset()
    assert evaluate(tmp_path) == 0
    # the solo answer again (same text, so its verdicts still hold) and the two lost verdicts
    assert calls(provider) == {SOLO: 1, GRADER: 2}
    assert results(tmp_path)[SOLO_NAME]["score"] == pytest.approx(SOLO_SCORE)
    provider.reset()
    assert evaluate(tmp_path) == 0 and calls(provider) == {}  # all done: nothing is asked


def test_changing_what_shapes_an_answer_answers_again(provider, tmp_path):
    assert evaluate(tmp_path, "--task", "sci-tides") == 0
    provider.reset()
    assert evaluate(tmp_path, "--task", "sci-tides", "--exclude-domain", "example.com") == 0
    # new answers (the excluded domains changed); identical texts keep their verdicts
    assert calls(provider) == {SOLO: 1, PANEL[0]: 1, PANEL[1]: 1, JUDGE: 2}


def test_repeats_are_averaged_and_the_progress_bar_runs(provider, tmp_path):
    assert evaluate(tmp_path, "--task", "sci-tides", "--repeats", "3", progress=True) == 0
    assert calls(provider)[GRADER] == 3 * 4 * 2
    assert all("temperature" not in r.body for r in provider.requests_for(GRADER))  # repeats may differ
    got = results(tmp_path)
    assert got[SOLO_NAME]["score"] == pytest.approx(100 / 6) and got[FUSION_NAME]["score"] == 100.0


def test_usage_errors_exit_2(provider, tmp_path, monkeypatch, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    base = [str(SAMPLE), "--grader", GRADER, "--out", str(tmp_path), "--no-progress"]
    assert cli.run(parser.parse_args(base)) == 2  # nothing to compare
    assert cli.run(parser.parse_args(["missing.jsonl", *base[1:], "--solo", SOLO])) == 2
    assert cli.run(parser.parse_args([*base, "--fusion", "judge=j"])) == 2
    assert cli.run(parser.parse_args([*base, "--solo", SOLO, "--exclude-domain", "*"])) == 2
    monkeypatch.delenv("FUSION_BASE_URL")
    monkeypatch.delenv("FUSION_API_KEY")
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    assert cli.run(parser.parse_args([*base, "--solo", SOLO])) == 2
    assert "needs a provider" in capsys.readouterr().err
    assert provider.requests == []
