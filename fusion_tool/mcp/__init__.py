"""fusion as an MCP server: one tool, ``fusion``, for any MCP host (desktop apps, editors,
agent frameworks).

    fusion-tool mcp                      # stdio: what an MCP host launches
    fusion-tool mcp --http [--port N]    # streamable HTTP on 127.0.0.1, path /mcp

The tool takes ``{"prompt", "analysis_models"?, "model"?, "excluded_domains"?, "web"?}`` and
returns the tool-result JSON (``status``, ``analysis``, ``responses``, ``failed_models``) as
``structuredContent`` and as text; a panel that fails entirely is an ``isError`` result.
Progress notifications follow each panelist and the judge; cancelling the call cancels the
panel. The provider is the server's own (``FUSION_*``), never a caller's. Needs the ``[mcp]``
extra.

Modules: ``tool`` (schemas, description, arguments), ``progress`` (events to notifications),
``server`` (the SDK server and its handlers), ``transports`` (stdio, streamable HTTP).
"""

from fusion_tool.mcp.server import TOOL, create_server
from fusion_tool.mcp.transports import http_app, serve_http, serve_stdio

__all__ = ["TOOL", "create_server", "http_app", "serve_http", "serve_stdio"]
