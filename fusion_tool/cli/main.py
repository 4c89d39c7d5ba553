"""The ``fusion-tool`` command: ``ask`` (the main job), ``demo`` (the same, simulated)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from fusion_tool.core.config import FusionConfig, LogSettings
from fusion_tool.core.errors import ConfigError

NO_PROVIDER = (
    "fusion-tool needs a provider: set FUSION_API_KEY (or OPENROUTER_API_KEY) for OpenRouter, "
    "or FUSION_BASE_URL for a local OpenAI-compatible server (Ollama, vLLM, llama.cpp), "
    "or try `fusion-tool ask --local` (a small model on this machine, the [local] extra) "
    "or `fusion-tool demo` to see the flow without one."
)
SIMULATED = "SIMULATED: scripted models on a loopback server; no real model answers here."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fusion-tool", description="A panel of models, a judge, one fused answer.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question with a fused panel (the main job)")
    ask.add_argument("question")
    _run_options(ask)
    ask.add_argument("--estimate", action="store_true",
                     help="print the expected and worst-case tokens and cost per seat, judge and writer; call no model")
    _local_options(ask)
    demo = sub.add_parser("demo", help="the whole flow against scripted models, simulated, no key needed")
    demo.add_argument("question", nargs="?", default="Is intermittent fasting better than calorie restriction for weight loss?")
    _run_options(demo)
    from fusion_tool.cli.serve import add_arguments as serve_arguments

    serve = sub.add_parser("serve", help="the OpenAI-compatible fusion proxy")
    serve_arguments(serve)
    _local_options(serve)
    from fusion_tool.cli.eval import add_arguments as eval_arguments

    eval_arguments(sub.add_parser(
        "eval", help="DRACO-format evaluation: solo models and fusion configurations side by side"))
    from fusion_tool.cli.mcp import add_arguments as mcp_arguments

    mcp_arguments(sub.add_parser("mcp", help="the MCP server: one tool, fusion (stdio; --http for streamable HTTP)"))
    return parser


def _local_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--local", action="store_true",
                   help="offline: a small model served by llama.cpp on this machine (the [local] extra)")
    p.add_argument("--local-model", metavar="PATH", help="with --local: this GGUF file instead of the bundled SmolLM2-135M")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--panel", help="comma-separated panel models (default: FUSION_PANEL or the preset)")
    p.add_argument("--judge", help="the judge model, which also writes the answer (default: FUSION_JUDGE or the preset's)")
    p.add_argument("--preset", choices=["quality", "budget", "fast"], help="a preset panel and judge")
    p.add_argument("--no-web", action="store_true", help="panelists answer without web_search / web_fetch")
    p.add_argument("--exclude-domain", action="append", default=[], metavar="D",
                   help="keep this domain out of search and fetch (repeatable)")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    p.add_argument("--max-cost", type=float, metavar="USD",
                   help="a ceiling in dollars the fused call never crosses (default: FUSION_MAX_COST)")
    p.add_argument("--strategy", choices=["panel", "scout"], help="scout: two cheap scouts first, the panel if they disagree")
    p.add_argument("--price", action="append", default=[], metavar="MODEL=PROMPT,COMPLETION",
                   help="a model's price in dollars per million tokens, where the provider publishes none (repeatable)")


def _config(args: argparse.Namespace, **overrides: Any) -> FusionConfig:
    values: dict[str, Any] = dict(overrides)
    if args.preset:  # an explicit --preset beats FUSION_PANEL / FUSION_JUDGE
        values.update(preset=args.preset, panel=(), judge=None)
    if args.panel:
        values["panel"] = tuple(m.strip() for m in args.panel.split(",") if m.strip())
    if args.judge:
        values["judge"] = args.judge
    if args.no_web:
        values["tools"] = ()
    if args.exclude_domain:
        values["excluded_domains"] = tuple(args.exclude_domain)
    if getattr(args, "max_cost", None) is not None:
        if not args.max_cost > 0:
            raise ConfigError("--max-cost", "must be a positive number of dollars")
        values["max_cost"] = args.max_cost
    if getattr(args, "strategy", None):
        values["strategy"] = args.strategy
    if getattr(args, "price", None):
        values["prices"] = dict(_price(p) for p in args.price)
    return FusionConfig.from_env(**values)


def _price(text: str) -> tuple[str, tuple[float, float]]:
    model, _, pair = text.rpartition("=")
    try:
        prompt, completion = (float(x) for x in pair.split(","))
    except ValueError:
        raise ConfigError("--price", f"MODEL=PROMPT,COMPLETION (dollars per million tokens), not {text!r}") from None
    if not model:
        raise ConfigError("--price", f"MODEL=PROMPT,COMPLETION needs a model: {text!r}")
    return model, (prompt, completion)


def _local(args: argparse.Namespace) -> int:
    """``ask --local`` / ``serve --local``: a llama.cpp server with a small model, for this run."""
    from fusion_tool.cli.local import run_local, serve_local

    if args.command == "serve":
        if args.workers > 1:
            raise ConfigError("--workers", "--local serves one worker")
        return serve_local(args.host, args.port, model_path=args.local_model, log_level=args.log_level,
                           max_inflight=args.max_inflight, graceful_seconds=args.graceful_timeout)
    ignored = [f"--{name}" for name in ("panel", "judge", "preset") if getattr(args, name)]
    if ignored:
        raise ConfigError("--local", f"the local panel is fixed; {', '.join(ignored)} do not apply")
    return run_local(args.question, model_path=args.local_model, as_json=args.json)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from fusion_tool.core.log import configure

    try:
        # the live progress already shows each panelist's failure; FUSION_LOG_LEVEL shows more
        configure(level=LogSettings.from_env().level or "error")
        if args.command in ("ask", "serve") and (args.local or args.local_model):
            return _local(args)
        if args.command == "ask":
            config = _config(args)
            if args.estimate:
                from fusion_tool.cli.ask import print_estimate

                return asyncio.run(print_estimate(args.question, config, as_json=args.json))
            if not config.names_a_provider:
                print(NO_PROVIDER, file=sys.stderr)
                return 2
            from fusion_tool.cli.ask import ask

            return asyncio.run(ask(args.question, config, as_json=args.json))
        if args.command == "serve":
            from fusion_tool.cli.serve import run as serve

            return serve(args)
        if args.command == "eval":
            from fusion_tool.cli.eval import run as evaluate

            return evaluate(args)
        if args.command == "mcp":
            from fusion_tool.cli.mcp import run as serve_mcp

            return serve_mcp(args, NO_PROVIDER)
        if args.command == "demo":
            from fusion_tool.cli.demo import run_demo

            return run_demo(args, _config, SIMULATED)
    except ConfigError as exc:
        print(f"fusion-tool: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fusion-tool: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
