"""The fusion-tool command, run as a user runs it (a subprocess), against the scripted provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import JUDGE, PANEL


def fusion_tool(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FUSION_", "OPENROUTER_"))}
    return subprocess.run([sys.executable, "-m", "fusion_tool.cli", *args], capture_output=True, text=True,
                          env={**clean, **(env or {})}, timeout=timeout)


def test_without_a_provider_it_says_how_to_set_one_in_one_sentence():
    out = fusion_tool("ask", "Why is the sky blue?")
    assert out.returncode == 2 and out.stdout == ""
    assert "FUSION_API_KEY" in out.stderr and "FUSION_BASE_URL" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_ask_prints_progress_on_stderr_and_the_answer_on_stdout(provider):
    with provider.serve() as base_url:
        out = fusion_tool("ask", "--panel", ",".join(PANEL), "--judge", JUDGE, "--no-web",
                          "At what temperature does water boil, and why does it vary?",
                          env={"FUSION_BASE_URL": base_url, "FUSION_API_KEY": "sk-cli-secret-123456"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "The fused answer."
    for model in PANEL:
        assert f"{model}: done" in out.stderr
    assert "consensus: Water boils at 100 C at sea level" in out.stderr
    assert "sk-cli-secret-123456" not in out.stdout + out.stderr


def test_ask_json_is_the_whole_result(provider):
    with provider.serve() as base_url:
        out = fusion_tool("ask", "--json", "--no-web", "--panel", f"{PANEL[0]},{PANEL[1]}", "--judge", JUDGE, "q?",
                          env={"FUSION_BASE_URL": base_url})
    result = json.loads(out.stdout)
    assert result["answer"] == "The fused answer." and result["status"] == "ok"
    assert [r["model"] for r in result["responses"]] == [PANEL[0], PANEL[1]]
    reported = provider.total_usage()  # the provider's own figures: what the CLI prints must add up to them
    assert {k: result["usage"][k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")} == {
        k: reported[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    assert [c["stage"] for c in result["calls"]] == ["panel", "panel", "judge", "writer"]
    assert set(result["analysis"]) == {"consensus", "contradictions", "partial_coverage", "unique_insights",
                                       "blind_spots"}


def test_a_bad_flag_value_names_the_field():
    out = fusion_tool("ask", "--panel", ",".join(f"m{i}" for i in range(9)), "q", env={"FUSION_API_KEY": "k"})
    assert out.returncode == 2 and "panel" in out.stderr and "Traceback" not in out.stderr


def test_demo_is_labelled_simulated_and_shows_the_whole_flow():
    out = fusion_tool("demo")
    assert out.returncode == 0
    assert out.stderr.startswith("SIMULATED")
    assert "sim/alpha: done" in out.stderr and "contradiction:" in out.stderr
    assert "weight loss" in out.stdout
    # then both doors of the proxy: Chat Completions and the Responses API, with the fusion item
    assert "POST /v1/chat/completions  choices[0].message: \"For weight loss" in out.stderr
    assert "POST /v1/responses         output: openrouter:fusion (3 answers, analysis)" in out.stderr


@pytest.mark.parametrize("argv", [["--help"], ["ask", "--help"], ["serve", "--help"], ["eval", "--help"],
                                  ["mcp", "--help"], ["demo", "--help"], ["ask"], ["serve", "--port", "x"]])
def test_help_and_argument_errors_import_nothing_heavy(argv):
    """--help and every argument error answer before the SDK, the proxy or jsonschema is imported
    (importing the openai SDK alone takes about a second on a 2-core machine)."""
    code = ("import sys\nfrom fusion_tool.cli.main import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
            "    pass\nheavy = [m for m in ('openai', 'starlette', 'jsonschema', 'httpx', 'mcp', 'rich') if m in sys.modules]\n"
            "print('HEAVY', heavy, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in out.stderr, out.stderr[-2000:]
