"""The house's layers are a checked contract: ``lint-imports`` keeps it, and fails on a planted
violation (a pipeline module importing a mode, a front importing another front, a cycle)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")

pytestmark = pytest.mark.skipif(LINT is None, reason="import-linter is not installed (the [dev] extra)")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([LINT, "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contract, where a violation can be planted."""
    shutil.copytree(ROOT / "fusion_tool", tmp_path / "fusion_tool", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, line: str) -> None:
    path = tree / Path(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_house_keeps_its_contracts(tree):
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(("module", "line"), [
    ("fusion_tool.pipeline.panel", "import fusion_tool.modes.plan  # the pipeline reaching up into the modes"),
    ("fusion_tool.provider.upstream", "from fusion_tool.pipeline import fence  # the provider reaching up"),
    ("fusion_tool.core.usage", "import fusion_tool.provider.retry  # the core reaching up"),
    ("fusion_tool.proxy.app", "import fusion_tool.sdk.wrapper  # a front importing another front"),
    ("fusion_tool.langchain", "import fusion_tool.proxy.app  # a front importing another front"),
    ("fusion_tool.local.server", "import fusion_tool.cli.main  # beside the fronts, reaching into one"),
])
def test_a_planted_violation_breaks_the_layers(tree, module, line):
    plant(tree, module, line)
    result = lint(tree)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout


def test_a_planted_cycle_breaks_the_acyclic_contract(tree):
    plant(tree, "fusion_tool.core.errors", "import fusion_tool.core.config  # config already imports errors")
    result = lint(tree)
    assert result.returncode != 0 and "No cycles are allowed in fusion_tool.core" in result.stdout, result.stdout
