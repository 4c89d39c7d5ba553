"""The names fusion_tool exports are a promise (DESIGN.md, "Public Python API")."""

import fusion_tool


def test_exported_names_are_pinned():
    assert sorted(fusion_tool.__all__) == sorted([
        "ALIASES", "PRESETS", "Call", "ConfigError", "Decision", "Estimate", "Event", "FusionConfig", "FusionError",
        "FusionFailed", "FusionResult", "GateConfig", "UpstreamError", "Usage", "fuse", "should_deliberate",
        "estimate", "wrap_openai",
    ])
    for name in fusion_tool.__all__:
        assert getattr(fusion_tool, name) is not None


def test_the_design_names_exist_with_their_shapes():
    from fusion_tool import FusionConfig, fuse, should_deliberate, wrap_openai
    from fusion_tool.testing import ScriptedProvider  # public too

    decision = should_deliberate([{"role": "user", "content": "hi"}])
    assert (decision.deliberate, isinstance(decision.score, float), isinstance(decision.reasons, tuple)) == (
        False, True, True)
    assert callable(wrap_openai) and callable(fuse) and FusionConfig().preset == "quality"
    assert fusion_tool.ALIASES == {"openrouter/fusion": "quality", "openrouter/fusion-flash": "fast"}
    assert ScriptedProvider is not None


def test_the_signatures_are_pinned():
    import inspect

    def params(fn):
        return [(p.name, p.kind.name) for p in inspect.signature(fn).parameters.values()]

    assert params(fusion_tool.wrap_openai) == [("client", "POSITIONAL_OR_KEYWORD"), ("config", "KEYWORD_ONLY"),
                                               ("on_event", "KEYWORD_ONLY")]
    assert params(fusion_tool.fuse) == [("question", "POSITIONAL_OR_KEYWORD"), ("config", "KEYWORD_ONLY"),
                                        ("client", "KEYWORD_ONLY"), ("on_event", "KEYWORD_ONLY")]
    assert [n for n, _ in params(fusion_tool.should_deliberate)][:1] == ["messages"]
    assert [n for n, _ in params(fusion_tool.estimate)][:2] == ["question_or_messages", "config"]
    assert {"deliberate", "score", "reasons"} <= set(fusion_tool.Decision.__dataclass_fields__)


def test_importing_the_package_or_the_gate_does_not_import_the_sdk():
    import subprocess
    import sys

    code = ("import sys, fusion_tool; fusion_tool.should_deliberate('hi'); "
            "print('openai' in sys.modules, 'starlette' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr
