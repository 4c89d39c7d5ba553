"""The processes a benchmark measures against: the scripted provider and (when it exists) the proxy.

Each runs in its own process so that it shares neither the measured client's event loop nor its
GIL. Models are named ``<role>@<seconds>``: the scripted provider answers ``bench/p1@0.2`` after
200 ms and ``bench/slow@2`` after 2 s; a model whose name contains ``judge`` returns the analysis
JSON, or the final answer when the request carries fusion's tool result (the writer call).

Benchmark-only behaviours (``fusion_tool.testing`` itself is unchanged):

- ``n``: a request with ``n`` > 1 (optillm's mixture of agents asks for 3 samples in one call)
  gets ``n`` choices after the model's one delay, as a provider that honours ``n`` does; a model
  whose name contains ``refuses-n`` answers such a request with HTTP 400 at once instead (optillm
  then falls back to one call per sample);
- first-byte stamps: while stamping is on (``Process.stamping(True)``), the provider notes the
  ``time.monotonic()`` (one clock for every process on Linux) at which it sent the first body
  byte of each response, and which requests were writer calls, for the streaming figure.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

ANALYSIS = {
    "consensus": ["The tide is driven mainly by the Moon's gravity", "There are two high tides a day"],
    "contradictions": [{"topic": "the Sun's share", "stances": [
        {"model": "Response 1", "stance": "about half the Moon's"}, {"model": "Response 2", "stance": "negligible"}]}],
    "partial_coverage": [{"models": ["Response 3"], "point": "spring and neap tides"}],
    "unique_insights": [{"model": "Response 2", "insight": "coastline shape amplifies the range"}],
    "blind_spots": ["tidal locking"],
}
PANEL_TEXT = ("Tides come from the Moon's gravity pulling the ocean into two bulges, one facing the Moon "
              "and one opposite; the Earth turns under them, so most coasts see two high tides a day. "
              "The Sun adds a smaller pull, which makes spring and neap tides. ") * 2
FINAL_TEXT = ("Tides are driven mainly by the Moon's gravity, with the Sun adding a smaller share: the "
              "ocean bulges toward and away from the Moon, and the Earth turns beneath the bulges. ") * 3

#: fork where there is one (children start at once, with the modules already imported: see
#: preload); the parent runs no threads or event loop, so forking it is safe
CTX = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def preload() -> None:
    """Import what every child needs once, in the parent, before any fork."""
    import openai  # noqa: F401
    import uvicorn  # noqa: F401

    import fusion_tool  # noqa: F401
    import fusion_tool.testing  # noqa: F401

    try:
        import aiohttp  # noqa: F401

        import fusion_tool.proxy  # noqa: F401
    except ImportError:
        pass


def delay_of(model: str) -> float:
    """The scripted latency encoded in a benchmark model name (``name@seconds``)."""
    _, _, tail = model.rpartition("@")
    try:
        return float(tail)
    except ValueError:
        return 0.0


#: the provider process's stamps while stamping is on: request index -> what it was, and the
#: monotonic time its response's first body byte went out (written in the server's thread)
STAMPING = False
SEEN: dict[int, dict[str, Any]] = {}
FIRST_BYTE: dict[int, float] = {}


def _behaviour(req: Any) -> Any:
    from fusion_tool.testing import Reply

    delay = delay_of(req.model)
    writer = "judge" in req.model and any(m.get("role") == "tool" for m in req.messages)
    if STAMPING:
        SEEN[req.index] = {"model": req.model, "stream": req.stream, "writer": writer}
    n = req.body.get("n")
    if isinstance(n, int) and n > 1:
        if "refuses-n" in req.model:
            return Reply(status=400, error="'n' is not supported by this provider")
        return _n_choices(req, n, delay)
    if "judge" in req.model:
        if writer:
            return Reply(text=FINAL_TEXT, delay=delay)
        return Reply(json=ANALYSIS, delay=delay)
    return Reply(text=PANEL_TEXT, delay=delay)


async def _n_choices(req: Any, n: int, delay: float) -> dict[str, Any]:
    """A ``chat.completion`` with ``n`` choices after one ``delay`` (sampled in parallel, as a
    provider that honours ``n`` does)."""
    await asyncio.sleep(delay)
    words = len(PANEL_TEXT.split())
    prompt = sum(len(str(m.get("content") or "").split()) for m in req.messages)
    return {"id": f"chatcmpl-bench-{req.index}", "object": "chat.completion", "created": int(time.time()),
            "model": req.model,
            "choices": [{"index": i, "message": {"role": "assistant", "content": PANEL_TEXT},
                         "logprobs": None, "finish_reason": "stop"} for i in range(n)],
            "usage": {"prompt_tokens": prompt, "completion_tokens": n * words, "total_tokens": prompt + n * words}}


class _Stamping:
    """ASGI middleware around the scripted provider's app: while ``STAMPING`` is on, the monotonic
    time at which each response's first body message is handed to the server (its first byte on
    the wire, within microseconds: the server writes to the socket at once)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not STAMPING or scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        index: list[int] = []

        async def stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                for key, value in message.get("headers", ()):
                    if key == b"x-request-id" and value.startswith(b"req_scripted_"):
                        index.append(int(value[len(b"req_scripted_"):]))
            elif message["type"] == "http.response.body" and index and index[0] not in FIRST_BYTE:
                FIRST_BYTE[index[0]] = time.monotonic()
            await send(message)

        await self.app(scope, receive, stamped)


def _tcp_listener(port: int = 0) -> socket.socket:
    """The proxy's loopback listening socket, bound as fusion-tool binds its own (TCP_NODELAY)."""
    from fusion_tool.core.serving import LOOPBACK_HOST, bind_tcp

    return bind_tcp(LOOPBACK_HOST, port)


def _provider_main(conn: Any) -> None:
    global STAMPING
    from fusion_tool.testing import ScriptedProvider

    provider = ScriptedProvider(default=_behaviour)
    provider.app = _Stamping(provider.app)  # serve() serves provider.app
    with provider.serve() as base_url:
        conn.send(base_url)
        while (command := conn.recv()) != "stop":
            reply: Any = "ok"
            if command == "reset":  # keep the request log from growing over the whole run
                provider.reset()
                SEEN.clear()
                FIRST_BYTE.clear()
            elif command == "stats":  # what the provider saw since the last reset
                by_model: dict[str, int] = {}
                for request in provider.requests:
                    by_model[request.model] = by_model.get(request.model, 0) + 1
                stamps = [{"index": i, **SEEN[i], "first_byte": FIRST_BYTE.get(i)} for i in sorted(SEEN)]
                reply = {"requests": sum(by_model.values()), "by_model": by_model, "stamps": stamps}
            elif command in ("stamp on", "stamp off"):
                STAMPING = command == "stamp on"
            conn.send(reply)


def _proxy_main(conn: Any, provider_url: str, client_kind: str, panel: list[str], judge: str) -> None:
    import clients  # benchmarks/*.py, on the path of a spawned child too
    import uvicorn

    from fusion_tool import FusionConfig
    from fusion_tool.proxy import create_app

    config = FusionConfig(base_url=provider_url, api_key="bench", panel=tuple(panel), judge=judge, tools=(),
                          panel_timeout=120, deadline=300)
    # no cap on fused requests in flight (the default 64 answers 429 past it): we measure the load
    app = create_app(config, client=clients.make(client_kind, provider_url), max_inflight=100_000)
    sock = _tcp_listener()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, backlog=2048))
    conn.send(f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
    server.run(sockets=[sock])


@dataclass
class Process:
    """A server process we started, its base URL and the pipe that controls it."""

    process: Any
    conn: Any
    base_url: str
    listens_to_pipe: bool = True  # the provider takes commands; the proxy is uvicorn's, stopped by SIGTERM

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float | None:
        return proc_status_mb(self.pid, "VmHWM")

    def rss_mb(self) -> float | None:
        return proc_status_mb(self.pid, "VmRSS")

    def reset(self) -> None:
        self.conn.send("reset")
        self.conn.recv()

    def stats(self) -> dict[str, Any]:
        """The provider's requests since the last reset (by model) and its first-byte stamps."""
        self.conn.send("stats")
        return self.conn.recv()

    def stamping(self, on: bool) -> None:
        self.conn.send("stamp on" if on else "stamp off")
        self.conn.recv()

    def stop(self) -> None:
        if self.listens_to_pipe:
            try:
                self.conn.send("stop")
            except (OSError, BrokenPipeError):
                pass
            self.process.join(timeout=5)
        else:
            self.process.terminate()  # SIGTERM to this one process: uvicorn shuts down gracefully
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()  # only this process, which we started
            self.process.join(timeout=5)


def start_provider() -> Process:
    """The scripted provider, served by its own ``provider.serve()`` in a process of its own."""
    parent, child = CTX.Pipe()
    process = CTX.Process(target=_provider_main, args=(child,), name="bench-provider", daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise RuntimeError("the scripted provider process did not start")
    return Process(process, parent, parent.recv())


def start_proxy(provider_url: str, client_kind: str, panel: list[str], judge: str) -> Process:
    parent, child = CTX.Pipe()
    process = CTX.Process(target=_proxy_main, args=(child, provider_url, client_kind, panel, judge),
                          name="bench-proxy", daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise RuntimeError("the proxy process did not start")
    proc = Process(process, parent, parent.recv(), listens_to_pipe=False)
    _wait_listening(proc.base_url)
    return proc


def _wait_listening(base_url: str, timeout: float = 30.0, process: Any = None) -> None:
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}) before listening on {base_url}")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {base_url}")


class Serve:
    """``fusion-tool serve --workers N`` as a subprocess of ours, configured by ``FUSION_*`` as a user
    would: its config is serve's own default but for the provider, panel and judge, so (unlike the
    in-process proxy's ``tools=()``) the panel is offered the web tools, and its requests are larger."""

    def __init__(self, provider_url: str, workers: int, panel: list[str], judge: str) -> None:
        self.workers = workers
        port = _free_port()
        self.base_url = f"http://127.0.0.1:{port}/v1"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FUSION_", "PROMETHEUS_"))}
        env.update({"FUSION_BASE_URL": provider_url, "FUSION_API_KEY": "bench", "FUSION_PANEL": ",".join(panel),
                    "FUSION_JUDGE": judge, "FUSION_PANEL_TIMEOUT": "120"})
        self.command = [*fusion_tool_command(), "serve", "--port", str(port), "--workers", str(workers),
                        "--max-inflight", "100000", "--log-level", "warning"]
        self.process = subprocess.Popen(self.command, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.stderr = ""

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until it listens and (with several workers) every worker process is up."""
        try:
            _wait_listening(self.base_url, timeout, process=self.process)
            deadline = time.monotonic() + timeout
            while len(self.worker_pids()) < self.workers:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{len(self.worker_pids())} of {self.workers} workers came up")
                time.sleep(0.05)
        except Exception:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the workers when there are several, else this one."""
        if self.workers == 1:
            return [self.pid]
        return [pid for pid in children(self.pid) if "resource_tracker" not in _cmdline(pid)]

    def peak_rss_mb(self) -> float | None:
        """The serving processes' peak RSS, summed."""
        peaks = [proc_status_mb(pid, "VmHWM") for pid in self.worker_pids()]
        return round(sum(p for p in peaks if p), 1) if any(peaks) else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # only the process we started; it stops its workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stderr and not self.process.stderr.closed:
            self.stderr = self.process.stderr.read().decode(errors="replace")[-2000:]
            self.process.stderr.close()


def fusion_tool_command() -> list[str]:
    """The installed ``fusion-tool`` script beside this interpreter, else ``python -m fusion_tool.cli``."""
    script = os.path.join(os.path.dirname(sys.executable), "fusion-tool")
    if os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "fusion_tool.cli"]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return sorted(out)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def proc_status_mb(pid: int, key: str) -> float | None:
    """A ``VmRSS`` / ``VmHWM`` (peak RSS) figure of process ``pid`` in MB (Linux only)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        return None
    return None
