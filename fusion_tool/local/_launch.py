"""Run ``python -m llama_cpp.server ARGS``, and end it when the process that started it is gone.

Started by :class:`fusion_tool.local.LocalServer` as a script (by path, so that nothing of
fusion-tool is imported here) in a session of its own: a Ctrl-C on the terminal reaches
fusion-tool, which stops the server's whole process group on its way out. If fusion-tool is
killed outright (SIGKILL, a crash), a watchdog thread sees the parent change and kills the
group, so no server is left behind either way.

    python _launch.py PARENT_PID -- llama_cpp.server arguments...
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL = 0.25  # seconds between looks at the parent


def _end() -> None:
    if os.getpgrp() == os.getpid():  # our own group: take everything in it along
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)


def _watch(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            _end()
        time.sleep(POLL)


def main(argv: list[str]) -> None:
    parent, rest = int(argv[0]), argv[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if os.getppid() != parent:  # the parent died before we got here
        _end()
    threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True).start()
    sys.argv = ["llama_cpp.server", *rest]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
