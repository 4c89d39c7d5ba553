"""The names fusion_tool exports are a promise (DESIGN.md, "Public Python API")."""

import fusion_tool


def test_exported_names_are_pinned():
    assert sorted(fusion_tool.__all__) == sorted([
        "ALIASES", "PRESETS", "Call", "ConfigError", "Decision", "Event", "FusionConfig", "FusionError",
        "FusionResult", "GateConfig", "UpstreamError", "Usage", "fuse", "should_deliberate", "wrap_openai",
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
