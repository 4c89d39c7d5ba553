"""The ``fusion-tool`` command: ``ask``, ``demo``, ``serve``, ``eval``; the live progress display."""

from fusion_tool.cli.main import main

__all__ = ["main"]
