"""Real servers for tests, on loopback and always stopped: ``redis-server`` and ``fusion-tool serve``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REDIS_SERVER = shutil.which("redis-server")
NO_REDIS = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)"
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason=NO_REDIS)
STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``redis-server`` on a free loopback port, no persistence; yields its URL and process."""
    assert REDIS_SERVER is not None
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        _stop(process)


def serve_env(upstream: str, **extra: str) -> dict[str, str]:
    """This environment without the caller's FUSION_*/OTEL_* settings, pointed at ``upstream``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FUSION_", "OPENROUTER_", "OTEL_", "PROMETHEUS_"))}
    env.update(FUSION_BASE_URL=upstream, FUSION_API_KEY="test-upstream-key", PYTHONUNBUFFERED="1", **extra)
    return env


@contextlib.contextmanager
def fusion_serve(env: dict[str, str], *args: str, log: Path, cwd: Path) -> Iterator[str]:
    """``fusion-tool serve`` as a subprocess on a free loopback port; yields ``http://127.0.0.1:PORT``.
    Its stdout and stderr go to ``log``. Stopped (SIGTERM, then kill) however the test ends."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "fusion_tool.cli", "serve", "--port", str(port), "--graceful-timeout", "2", *args],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"fusion-tool serve did not start:\n{log.read_text()}")
                time.sleep(0.05)
            yield base
        finally:
            _stop(process)
