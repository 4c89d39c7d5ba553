"""``python -m fusion_tool.local "QUESTION" [--local-model PATH] [--json]``: ``fusion-tool ask
--local`` until the main command line has the flag; also what the Ctrl-C test runs."""

from __future__ import annotations

import argparse
import sys

from ..log import configure
from .run import run_local


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fusion_tool.local",
                                     description="fusion-tool ask --local: a fused panel of a small model, offline")
    parser.add_argument("question")
    parser.add_argument("--local-model", metavar="PATH", help="a GGUF model file (default: the bundled SmolLM2-135M)")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    configure()
    try:
        return run_local(args.question, model_path=args.local_model, as_json=args.json)
    except KeyboardInterrupt:
        print("fusion-tool: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
