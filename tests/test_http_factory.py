"""One place makes HTTP clients: ``fusion_tool/provider/http.py`` (the issue "The house").

Every other module gets its client from a factory there, so the HTTP library, timeouts and
limits can change in one place. The check reads the code (calls, not strings or comments).
"""

from __future__ import annotations

import ast
from pathlib import Path

import fusion_tool
from fusion_tool.provider import http

PACKAGE = Path(fusion_tool.__file__).parent
FACTORY = PACKAGE / "provider" / "http.py"
LIBRARIES = {"httpx", "httpx2", "aiohttp", "openai", "requests", "urllib3"}
CLIENTS = {"Client", "AsyncClient", "DefaultAioHttpClient", "ClientSession", "AsyncHTTPTransport", "HTTPTransport"}


def _client_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {  # names imported straight from an HTTP library: from httpx import AsyncClient
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES
        for alias in node.names
        if alias.name in CLIENTS
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CLIENTS and isinstance(func.value, ast.Name):
            if func.value.id in LIBRARIES:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(func)}")
        elif isinstance(func, ast.Name) and func.id in imported:
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {func.id}")
    return found


def test_only_provider_http_builds_http_clients() -> None:
    calls = [c for path in sorted(PACKAGE.rglob("*.py")) if path != FACTORY for c in _client_calls(path)]
    assert calls == [], "build HTTP clients with a factory in fusion_tool/provider/http.py"


def test_the_factory_does_build_them() -> None:
    assert _client_calls(FACTORY)  # the check above would miss them if it could not see these


def test_the_fetch_client_trusts_no_environment_and_follows_no_redirect(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://203.0.113.9:3128")
    client = http.fetch_client()
    assert client.trust_env is False and client.follow_redirects is False
    assert client.timeout.connect == http.FETCH_CONNECT_TIMEOUT and client.timeout.read == http.FETCH_TIMEOUT
    assert not [t for t in client._mounts.values() if t is not None]  # no proxy mounted
    for health in (http.health_client(), http.async_health_client()):
        assert health.trust_env is False and health.timeout.read == http.HEALTH_TIMEOUT
