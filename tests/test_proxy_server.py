"""Serving the proxy: loopback by default, a token beyond it, one log event per request, no key
in any output, and a graceful shutdown that lets requests in flight finish."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from fusion_tool import FusionConfig
from fusion_tool.cli.serve import add_arguments, available_cpus, run
from fusion_tool.core.errors import ConfigError
from fusion_tool.proxy import create_app, running, serve
from fusion_tool.proxy.auth import is_loopback
from fusion_tool.testing import Reply, ScriptedProvider

from .conftest import JUDGE, PANEL, judge_behaviour
from .test_proxy import PLAIN, SEED, SERVER_KEY, root

CORPUS = Path(__file__).parent / "data" / "corpus"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


# -- where it may listen ---------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False), ("", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_binding_beyond_loopback_without_a_token_is_refused_before_listening(monkeypatch):
    monkeypatch.delenv("FUSION_PROXY_TOKEN", raising=False)
    with pytest.raises(ConfigError) as info:
        serve("0.0.0.0", 0)
    assert info.value.field == "FUSION_PROXY_TOKEN"
    assert "0.0.0.0" in str(info.value)
    with pytest.raises(ConfigError):
        run(parse("--host", "0.0.0.0", "--port", "0"))


def test_cli_options_and_their_defaults():
    args = parse()
    assert (args.host, args.port, args.workers, args.log_level) == ("127.0.0.1", 8000, available_cpus(), None)
    args = parse("--host", "::1", "--port", "9001", "--workers", "4", "--log-level", "debug", "--max-inflight", "8")
    assert (args.host, args.port, args.workers, args.log_level, args.max_inflight) == ("::1", 9001, 4, "debug", 8)
    with pytest.raises(SystemExit):
        parse("--log-level", "trace")  # uvicorn's trace level would log request bodies
    with pytest.raises(SystemExit):
        parse("--workers", "0")


def test_a_config_object_cannot_serve_several_workers(monkeypatch):
    monkeypatch.delenv("FUSION_PROXY_TOKEN", raising=False)
    with pytest.raises(ConfigError) as info:
        serve(port=0, workers=2, config=FusionConfig())
    assert info.value.field == "workers"


def test_a_port_in_use_is_a_config_error(monkeypatch):
    monkeypatch.delenv("FUSION_PROXY_TOKEN", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError) as info:
            serve(port=taken.getsockname()[1], config=FusionConfig())
    assert info.value.field == "port"


# -- the token -------------------------------------------------------------------------------------

def test_with_a_token_every_request_needs_it(config):
    token = "proxy-token-1234"
    provider = ScriptedProvider({PLAIN: "ok"})
    with provider.serve() as upstream, running(create_app(config.replace(base_url=upstream), token=token)) as url:
        assert httpx.get(f"{root(url)}/healthz").status_code == 401
        wrong = httpx.post(f"{url}/chat/completions", headers={"authorization": "Bearer nope"},
                           json={"model": PLAIN, "messages": [{"role": "user", "content": "x"}]})
        assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert not provider.requests
        # clients put the proxy's token where they put an API key
        client = openai.OpenAI(base_url=url, api_key=token, max_retries=0)
        assert client.chat.completions.create(model=PLAIN, messages=[{"role": "user", "content": "x"}]) \
            .choices[0].message.content == "ok"
        assert httpx.get(f"{root(url)}/healthz", headers={"authorization": f"Bearer {token}"}).status_code == 200
        # and the token is not the provider's key: the provider never sees it
        assert provider.requests[0].headers.get("authorization") != f"Bearer {token}"


async def test_reached_beyond_loopback_without_a_token_it_refuses(monkeypatch, config):
    monkeypatch.delenv("FUSION_PROXY_TOKEN", raising=False)
    app = create_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://10.1.2.3:8000") as client:
        response = await client.get("/healthz")
    assert response.status_code == 403
    assert "FUSION_PROXY_TOKEN" in response.json()["error"]["message"]


# -- a real server process: logs, secrets, graceful shutdown ---------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_run_at_debug_logs_each_request_and_never_the_key(tmp_path):
    secret = "upstream-key-never-shown-5d1e8b"  # no sk- prefix: only exact care keeps it out

    def panelist(req):
        return Reply(text=f"answer from {req.model}", delay=0.6 if "slowly" in req.last_user_text else 0.0)

    provider = ScriptedProvider({**{m: panelist for m in PANEL}, JUDGE: judge_behaviour(), PLAIN: "plain"})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with provider.serve() as upstream:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FUSION_", "OPENROUTER_"))}
        env.update(FUSION_BASE_URL=upstream, FUSION_API_KEY=secret, FUSION_PANEL=",".join(PANEL),
                   FUSION_JUDGE=JUDGE, FUSION_SEARCH=f"local:{CORPUS}", FUSION_PANEL_TIMEOUT="5",
                   PYTHONUNBUFFERED="1")
        code = ("import argparse, sys; from fusion_tool.cli.serve import add_arguments, run; p = argparse.ArgumentParser(); "
                f"add_arguments(p); sys.exit(run(p.parse_args(['--port', '{port}', '--log-level', 'debug'])))")
        server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(400):
                try:
                    httpx.get(f"{base}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.025)
            client = httpx.Client(base_url=f"{base}/v1", headers={"authorization": "Bearer client-key"}, timeout=10)
            assert client.post("/chat/completions", json=SEED).status_code == 200
            streamed = client.post("/chat/completions", json={**SEED, "stream": True, "stream_options": {"include_usage": True}})
            assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
            one = [{"role": "user", "content": "x"}]
            assert client.post("/chat/completions", json={"model": PLAIN, "messages": one}).status_code == 200
            assert client.post("/chat/completions", json={"model": "no/such", "messages": one}).status_code == 404
            assert client.post("/chat/completions", content=b"{oops",
                               headers={"content-type": "application/json"}).status_code == 400
            assert client.post("/chat/completions", json={**SEED, "api_key": secret[::-1]}).status_code == 400
            assert client.get("/models").status_code == 200

            # graceful shutdown: a request in flight when SIGTERM arrives still gets its answer
            slow: dict = {}
            question = {"model": "openrouter/fusion", "messages": [{"role": "user", "content": "answer slowly: why?"}]}
            worker = threading.Thread(target=lambda: slow.update(r=client.post("/chat/completions", json=question)))
            worker.start()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len([r for r in provider.requests if "slowly" in r.last_user_text]) < 3:
                time.sleep(0.01)
            server.send_signal(signal.SIGTERM)
            worker.join(10)
            out, err = server.communicate(timeout=15)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()
    assert slow["r"].status_code == 200
    assert slow["r"].json()["choices"][0]["message"]["content"] == "The fused answer."
    assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has drained
    output = out + err
    assert secret not in output
    assert secret[::-1] not in output
    requests = [line for line in output.splitlines() if line.startswith("event='request'")]
    assert len(requests) >= 8
    assert any("mode='alias'" in line and "status=200" in line and "seconds=" in line for line in requests)
    assert any("mode='pass'" in line and "status=404" in line for line in requests)
    assert any("path='/v1/chat/completions'" in line and "status=400" in line for line in requests)
    assert "debug" in output.lower()  # the level really was debug
    # every upstream call carried the server's key
    assert {r.headers.get("authorization") for r in provider.requests} == {f"Bearer {secret}"}


def test_the_module_constant_key_is_not_in_reprs(config):
    from fusion_tool.proxy.passthrough import Relay

    assert SERVER_KEY not in repr(Relay(httpx.AsyncClient(), "http://127.0.0.1:1/v1", SERVER_KEY))  # type: ignore[arg-type]
    assert SERVER_KEY not in repr(config.replace(api_key=SERVER_KEY))
