"""House rules across the package: one exception tree, one reader of the environment, field docs."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import fusion_tool
from fusion_tool.core import errors
from fusion_tool.core.config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_PROXY_KEEPALIVE_SECONDS,
    DEFAULT_PROXY_MAX_INFLIGHT,
    FusionConfig,
    LogSettings,
    ProxySettings,
    SearchSettings,
    proxy_token,
)
from fusion_tool.core.errors import ConfigError, FusionError

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


# -- one place reads the environment ----------------------------------------------------------

#: the one module that reads configuration from the environment
ENV_READER = "core/config.py"
_ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _environment_uses(path: Path) -> list[str]:
    """Where ``path`` touches ``os.environ`` / ``os.getenv`` (under any alias of ``os``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    os_names = {alias.asname or "os" for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names if alias.name == "os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"line {node.lineno}: from os import {a.name}" for a in node.names if a.name in _ENV_NAMES]
        elif (isinstance(node, ast.Attribute) and node.attr in _ENV_NAMES
              and isinstance(node.value, ast.Name) and node.value.id in os_names):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_only_core_config_reads_the_environment():
    readers = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative != ENV_READER and (uses := _environment_uses(path)):
            readers[relative] = uses
    assert readers == {}, "read the environment through fusion_tool.core.config instead"


def test_the_check_sees_every_spelling(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import os\nimport os as o\nfrom os import getenv\nos.environ.get('A')\no.getenv('B')\n")
    assert len(_environment_uses(source)) == 3


@pytest.mark.parametrize(("env", "variable"), [
    ({"FUSION_PROXY_MAX_INFLIGHT": "many"}, "FUSION_PROXY_MAX_INFLIGHT"),
    ({"FUSION_PROXY_MAX_INFLIGHT": "0"}, "FUSION_PROXY_MAX_INFLIGHT"),
    ({"FUSION_PROXY_KEEPALIVE": "-1"}, "FUSION_PROXY_KEEPALIVE"),
])
def test_bad_proxy_settings_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as info:
        ProxySettings.from_env(env)
    assert info.value.field == variable


def test_the_readers_and_their_defaults():
    assert ProxySettings.from_env({}) == ProxySettings(None, DEFAULT_PROXY_MAX_INFLIGHT, DEFAULT_PROXY_KEEPALIVE_SECONDS)
    proxy = ProxySettings.from_env({"FUSION_PROXY_TOKEN": "t-secret", "FUSION_PROXY_MAX_INFLIGHT": "3",
                                    "FUSION_PROXY_KEEPALIVE": "2.5"})
    assert (proxy.token, proxy.max_inflight, proxy.keepalive_seconds) == ("t-secret", 3, 2.5)
    assert "t-secret" not in repr(proxy) and proxy_token({"FUSION_PROXY_TOKEN": ""}) is None
    assert LogSettings.from_env({}) == LogSettings(None, False)
    assert LogSettings.from_env({"FUSION_LOG_LEVEL": "DEBUG", "FUSION_LOG": "json"}) == LogSettings("debug", True)
    with pytest.raises(ConfigError) as info:
        LogSettings.from_env({"FUSION_LOG_LEVEL": "loud"})
    assert info.value.field == "FUSION_LOG_LEVEL"
    search = SearchSettings.from_env({"FUSION_SEARCH": " brave ", "BRAVE_API_KEY": "b-secret", "TAVILY_API_KEY": ""})
    assert (search.provider, dict(search.keys)) == ("brave", {"BRAVE_API_KEY": "b-secret"})
    assert "b-secret" not in repr(search)
    assert FusionConfig.from_env({}).max_retries == DEFAULT_MAX_RETRIES


def test_a_provider_is_named_by_a_key_or_a_base_url_of_its_own():
    assert not FusionConfig.from_env({}).names_a_provider
    assert FusionConfig.from_env({"FUSION_API_KEY": "k"}).names_a_provider
    assert FusionConfig.from_env({"FUSION_BASE_URL": "http://127.0.0.1:11434/v1"}).names_a_provider


# -- field docs that help() shows -------------------------------------------------------------

#: modules whose dataclasses are documented by their owner's work in progress (issue #10)
FIELD_DOCS_PENDING = ("fusion_tool.modes.gate",)


def _undocumented_fields(cls: type) -> list[str]:
    doc = inspect.getdoc(cls) or ""
    section = doc.split("\nAttributes:\n", 1)[1] if "\nAttributes:\n" in doc else ""
    return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")
            and not re.search(rf"^\s+{re.escape(f.name)}:", section, re.MULTILINE)]


def test_every_dataclass_documents_its_fields_in_an_attributes_section():
    missing = {}
    for module in _modules():
        if module.__name__.startswith(FIELD_DOCS_PENDING):
            continue
        for obj in vars(module).values():
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                if fields := _undocumented_fields(obj):
                    missing[f"{obj.__module__}.{obj.__qualname__}"] = fields
    assert missing == {}, "document each field in the class docstring's Attributes: section"
