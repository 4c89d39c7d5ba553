"""The house rules that hold across the package: one exception tree, one reader of the environment."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import fusion_tool
from fusion_tool.core import errors
from fusion_tool.core.errors import FusionError

PACKAGE = Path(fusion_tool.__file__).parent


def _modules() -> list[object]:
    """Every importable module of the package (those whose optional extra is missing are skipped)."""
    found = []
    for info in pkgutil.walk_packages(fusion_tool.__path__, "fusion_tool."):
        if info.name.rsplit(".", 1)[-1] == "__main__":  # running it is its import
            continue
        try:
            found.append(importlib.import_module(info.name))
        except ModuleNotFoundError as exc:  # an optional dependency (langchain, mcp...) is absent
            if (exc.name or "").split(".")[0] == "fusion_tool":
                raise
    return found


def _exception_classes() -> list[type[BaseException]]:
    classes = {}
    for module in _modules():
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.startswith("fusion_tool"):
                classes[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(classes.values())


def test_the_walk_finds_the_package():
    names = {module.__name__ for module in _modules()}
    assert {"fusion_tool.core.errors", "fusion_tool.proxy.app", "fusion_tool.pipeline.research.fetch"} <= names


@pytest.mark.parametrize("cls", _exception_classes(), ids=lambda cls: cls.__qualname__)
def test_every_exception_class_is_a_fusion_error_defined_in_core_errors(cls):
    assert issubclass(cls, FusionError)
    assert cls.__module__ == "fusion_tool.core.errors"


def test_the_tree_in_the_docstring_names_every_class():
    defined = {name for name, obj in vars(errors).items()
               if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__}
    drawn = set(re.findall(r"^ {4}[│├└─ ]*([A-Z]\w+) {2,}", errors.__doc__, re.MULTILINE))
    assert defined == drawn


def test_errors_that_were_value_errors_still_are():
    for cls in (errors.ConfigError, errors.HostError, errors.DracoError):
        assert issubclass(cls, ValueError)


def test_the_public_homes_of_the_errors_still_export_them():
    from fusion_tool import local
    from fusion_tool.eval import DracoError
    from fusion_tool.pipeline import research

    assert fusion_tool.FusionError is FusionError
    assert (fusion_tool.ConfigError, fusion_tool.UpstreamError) == (errors.ConfigError, errors.UpstreamError)
    assert (local.LocalServerError, local.LocalUnavailable) == (errors.LocalServerError, errors.LocalUnavailable)
    assert (research.FetchError, research.FetchRefused, research.SearchError) == (
        errors.FetchError, errors.FetchRefused, errors.SearchError)
    assert DracoError is errors.DracoError
