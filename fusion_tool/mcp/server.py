"""The MCP server: one tool, ``fusion``, on the ``mcp`` SDK's low-level ``Server``.

The low-level server rather than ``MCPServer`` (FastMCP): the tool's schemas come from
``schemas/`` exactly as written rather than from a Python signature, bad arguments get our
own message naming the field, and the result (``structuredContent``, text, ``isError``) is
ours to shape. The SDK runs the protocol: both eras of the handshake, progress against the
client's token, and ``notifications/cancelled`` cancelling the handler (and with it the
panel's every upstream call).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import mcp_types as types
import openai
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from fusion_tool.core.config import FusionConfig
from fusion_tool.core.errors import ConfigError
from fusion_tool.core.log import get_logger
from fusion_tool.mcp.progress import Progress
from fusion_tool.mcp.tool import DESCRIPTION, INPUT_SCHEMA, NAME, OUTPUT_SCHEMA, TITLE, read_arguments
from fusion_tool.pipeline.fuse import run, tools_factory
from fusion_tool.provider.upstream import Upstream

log = get_logger("fusion_tool.mcp")

SERVER_NAME = "fusion-tool"
INSTRUCTIONS = (
    "One tool, fusion: a panel of models answers a hard question in parallel (each may search the "
    "web) and a judge compares their answers. Use it for research, contested or high-stakes "
    "questions and decisions, not for lookups, rewrites or small tasks."
)

TOOL = types.Tool(
    name=NAME,
    title=TITLE,
    description=DESCRIPTION,
    input_schema=INPUT_SCHEMA,
    output_schema=OUTPUT_SCHEMA,
    annotations=types.ToolAnnotations(
        title=TITLE, read_only_hint=True, destructive_hint=False, idempotent_hint=False, open_world_hint=True
    ),
)


@dataclass(frozen=True)
class State:
    """What every call shares for the server's lifetime: its config and one pooled upstream.

    Attributes:
        config: The server's fusion config (a call's arguments apply on top).
        upstream: The one provider client every call uses.
    """

    config: FusionConfig
    upstream: Upstream


def _version() -> str:
    try:
        return metadata.version("fusion-tool")
    except metadata.PackageNotFoundError:
        return "0"


def tool_result(payload: dict[str, Any]) -> types.CallToolResult:
    """The MCP result of one call: the tool-result JSON as structured content and as text;
    ``isError`` unless its status is ``ok``."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(payload, ensure_ascii=False))],
        structured_content=payload,
        is_error=payload.get("status") != "ok",
    )


def _refused(error: str, reason: str) -> types.CallToolResult:
    return tool_result({"status": "error", "error": error, "failure_reason": reason})


async def _list_tools(ctx: ServerRequestContext[State], params: types.PaginatedRequestParams | None) -> Any:
    return types.ListToolsResult(tools=[TOOL])


async def _call_tool(ctx: ServerRequestContext[State], params: types.CallToolRequestParams) -> Any:
    if params.name != NAME:
        raise MCPError(types.INVALID_PARAMS, f"Unknown tool: {params.name!r}; this server has one tool, {NAME!r}")
    state = ctx.lifespan_context
    try:
        call = read_arguments(params.arguments, state.config)
        research = tools_factory(call.config)
    except ConfigError as exc:
        return _refused(f"invalid arguments: {exc}", "invalid_arguments")
    progress = Progress(ctx.session.report_progress, len(call.config.panel_models))
    try:
        async with progress:
            result = await run(call.prompt, state.upstream, call.config, on_event=progress, tools_factory=research)
    except Exception as exc:  # a bug of ours answers as a failed call, and the server lives on
        log.exception("mcp_call_failed")
        return _refused(f"fusion failed: {type(exc).__name__}", "fusion_unavailable")
    log.info("mcp_call", status=result.status, panel=len(call.config.panel_models),
             failed=len(result.failed_models), cost=result.usage.cost)
    return tool_result(result.tool_result())


def create_server(config: FusionConfig | None = None, *, client: openai.AsyncOpenAI | None = None) -> Server[State]:
    """The MCP server. ``config`` defaults to ``FusionConfig.from_env()``; the provider's URL
    and key come from it (or from ``client``), never from a call's arguments."""
    base = config or FusionConfig.from_env()
    tools_factory(base)  # a bad FUSION_SEARCH fails here, at start, rather than in every call

    @asynccontextmanager
    async def lifespan(_server: Server[State]) -> AsyncIterator[State]:
        upstream = Upstream.for_config(base, client)
        try:
            yield State(base, upstream)
        finally:
            await upstream.aclose()

    return Server(
        SERVER_NAME,
        version=_version(),
        title="fusion-tool",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=_list_tools,
        on_call_tool=_call_tool,
    )
