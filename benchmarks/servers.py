"""The processes a benchmark measures against: the scripted provider and (when it exists) the proxy.

Each runs in its own process so that it shares neither the measured client's event loop nor its
GIL. Models are named ``<role>@<seconds>``: the scripted provider answers ``bench/p1@0.2`` after
200 ms and ``bench/slow@2`` after 2 s; a model whose name contains ``judge`` returns the analysis
JSON, or the final answer when the request carries fusion's tool result (the writer call).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
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


def _behaviour(req: Any) -> Any:
    from fusion_tool.testing import Reply

    delay = delay_of(req.model)
    if "judge" in req.model:
        if any(m.get("role") == "tool" for m in req.messages):
            return Reply(text=FINAL_TEXT, delay=delay)
        return Reply(json=ANALYSIS, delay=delay)
    return Reply(text=PANEL_TEXT, delay=delay)


def _tcp_listener(port: int = 0) -> socket.socket:
    """The proxy's loopback listening socket, bound as fusion-tool binds its own (TCP_NODELAY)."""
    from fusion_tool.core.serving import LOOPBACK_HOST, bind_tcp

    return bind_tcp(LOOPBACK_HOST, port)


def _provider_main(conn: Any) -> None:
    from fusion_tool.testing import ScriptedProvider

    provider = ScriptedProvider(default=_behaviour)
    with provider.serve() as base_url:
        conn.send(base_url)
        while (command := conn.recv()) != "stop":
            if command == "reset":  # keep the request log from growing over the whole run
                provider.reset()
            conn.send("ok")


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


def _wait_listening(base_url: str, timeout: float = 30.0) -> None:
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {base_url}")


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
