"""``fusion-tool eval DATASET``: answer a DRACO-format file with solo models and fusion
configurations side by side, grade every answer criterion by criterion, and report score, cost
and latency per configuration and per domain (Markdown, JSON and a chart of score against cost).

``add_arguments(parser)`` and ``run(args) -> int`` are what the main command wires in; the same
runs as ``python -m fusion_tool.eval``. Exit status: 0 when every task of every configuration
is scored, 1 when some are not (run the same command again to resume), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from fusion_tool.core.config import FusionConfig, LogSettings
from fusion_tool.core.errors import ConfigError, DracoError
from fusion_tool.eval import configs as configurations
from fusion_tool.eval.draco import DEFAULT_EXCLUDED_DOMAINS, Task, load

NO_PROVIDER = ("fusion-tool eval needs a provider: set FUSION_API_KEY (or OPENROUTER_API_KEY) for "
               "OpenRouter, or FUSION_BASE_URL for another OpenAI-compatible server.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path, help="a DRACO-format JSONL file (id, problem, domain, answer)")
    what = parser.add_argument_group("what to compare (at least one)")
    what.add_argument("--solo", action="append", default=[], metavar="M1,M2",
                      help="solo models, each answering with one plain chat completion (repeatable)")
    what.add_argument("--fusion", action="append", default=[], metavar="'panel=A,B,C;judge=J'",
                      help="a fusion panel and its judge (repeatable)")
    what.add_argument("--preset", action="append", default=[], metavar="NAME",
                      help="a fusion preset: quality, budget, fast (repeatable, or comma-separated)")
    grading = parser.add_argument_group("grading")
    grading.add_argument("--grader", required=True, metavar="MODEL", help="the model that grades each criterion")
    grading.add_argument("--repeats", type=_positive, default=1, metavar="N",
                         help="grade every criterion N times and average the scores (default 1, at "
                         "temperature 0; with N > 1 the provider's default temperature)")
    grading.add_argument("--grade-concurrency", type=_positive, default=8, metavar="N",
                         help="grading calls in flight (default 8)")
    tasks = parser.add_argument_group("which tasks")
    tasks.add_argument("--limit", type=_positive, metavar="N", help="only the first N tasks (after the filters)")
    tasks.add_argument("--task", action="append", default=[], metavar="ID", help="only this task (repeatable)")
    tasks.add_argument("--domain", action="append", default=[], metavar="NAME", help="only this domain (repeatable)")
    answering = parser.add_argument_group("answering")
    answering.add_argument("--exclude-domain", action="append", default=[], metavar="D",
                           help="keep D out of the panel's search and fetch, besides the benchmark's own hosts "
                           "(repeatable)")
    answering.add_argument("--no-default-excludes", action="store_true",
                           help="do not exclude the DRACO hosts: " + ", ".join(DEFAULT_EXCLUDED_DOMAINS))
    answering.add_argument("--no-web", action="store_true", help="panelists answer without web_search / web_fetch")
    answering.add_argument("--max-completion-tokens", type=_positive, metavar="N", help="cap every answer")
    answering.add_argument("--concurrency", type=_positive, default=4, metavar="N",
                           help="tasks being answered at once (default 4)")
    answering.add_argument("--max-retries", type=_non_negative, metavar="N",
                           help="retries per inner call for 408/409/429/5xx and connection errors (default 2)")
    parser.add_argument("--out", type=Path, default=Path("eval-results"), metavar="DIR",
                        help="where the cache, report.md, results.json and the chart go (default eval-results)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _configurations(args: argparse.Namespace) -> list[configurations.Configuration]:
    found: list[configurations.Configuration] = []
    for text in args.solo:
        found += configurations.solo(text)
    for text in args.fusion:
        found.append(configurations.fusion(text))
    for text in args.preset:
        found += configurations.preset(text)
    if not found:
        raise ConfigError("", "nothing to evaluate: give --solo, --fusion or --preset")
    unique = list({c.name: c for c in found}.values())
    return unique


def _tasks(args: argparse.Namespace) -> list[Task]:
    tasks = load(args.dataset)
    if args.task:
        wanted = set(args.task)
        tasks = [t for t in tasks if t.id in wanted]
    if args.domain:
        domains = {d.lower() for d in args.domain}
        tasks = [t for t in tasks if t.domain.lower() in domains]
    if args.limit:
        tasks = tasks[: args.limit]
    if not tasks:
        raise ConfigError("", "no task left to evaluate (check --task / --domain)")
    return tasks


def excluded_domains(args: argparse.Namespace, base: FusionConfig) -> tuple[str, ...]:
    """The benchmark's own hosts (unless dropped), the config's, then ``--exclude-domain``."""
    chosen = [*(() if args.no_default_excludes else DEFAULT_EXCLUDED_DOMAINS), *base.excluded_domains,
              *args.exclude_domain]
    try:
        from fusion_tool.pipeline.research.domains import DomainPattern
    except ImportError:  # no research tools in this build: nothing to exclude from
        DomainPattern = None  # noqa: N806
    for pattern in chosen:
        if DomainPattern is not None:
            DomainPattern.parse(pattern, field_name="--exclude-domain")
    return tuple(dict.fromkeys(chosen))


def run(args: argparse.Namespace) -> int:
    """Run the evaluation ``args`` describe; print the report's table; the exit status."""
    from fusion_tool.eval.runner import Settings

    try:
        tasks = _tasks(args)
        configs = _configurations(args)
        overrides: dict[str, Any] = {}
        if args.max_retries is not None:
            overrides["max_retries"] = args.max_retries
        base = FusionConfig.from_env(**overrides)
        settings = Settings(grader=args.grader, repeats=args.repeats, excluded_domains=excluded_domains(args, base),
                            web=not args.no_web, max_completion_tokens=args.max_completion_tokens,
                            concurrency=args.concurrency, grade_concurrency=args.grade_concurrency)
    except (ConfigError, DracoError, OSError) as exc:
        print(f"fusion-tool eval: {exc}", file=sys.stderr)
        return 2
    if not base.names_a_provider:
        print(NO_PROVIDER, file=sys.stderr)
        return 2
    if not LogSettings.from_env().level:  # failures go to the progress bar and the report
        logging.getLogger("fusion_tool").setLevel(logging.ERROR)
    try:
        outcomes = asyncio.run(_evaluate(tasks, configs, base, settings, args))
    except KeyboardInterrupt:
        print(f"fusion-tool eval: interrupted; finished work is in {args.out / 'cache.jsonl'}, "
              "run the same command to resume", file=sys.stderr)
        return 130
    from fusion_tool.eval import report

    summary = report.summarize(outcomes, settings)
    paths = report.write(summary, args.out)
    print(report.markdown(summary), end="")
    print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    unfinished = sum(1 for o in outcomes if not o.complete)
    if unfinished:
        print(f"fusion-tool eval: {unfinished} task(s) not finished; run the same command to resume",
              file=sys.stderr)
        return 1
    return 0


async def _evaluate(tasks: list[Task], configs: list[Any], base: FusionConfig, settings: Any,
                    args: argparse.Namespace) -> list[Any]:
    from fusion_tool.cli.eval_progress import Bar
    from fusion_tool.eval.cache import FILENAME, Cache
    from fusion_tool.eval.runner import Runner
    from fusion_tool.provider.http import client_from_config

    cache = Cache(args.out / FILENAME)
    client = client_from_config(base)
    try:
        with Bar(enabled=not args.no_progress) as bar:
            return await Runner(client, base, settings, cache, bar).run(tasks, configs)
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m fusion_tool.eval``: the same command on its own."""
    from fusion_tool.core.log import configure

    parser = argparse.ArgumentParser(prog="fusion-tool eval", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    configure()
    return run(parser.parse_args(argv))
