"""The pipeline: panel (in parallel, each panelist with its research tools) → judge → tool
result; and the writer that turns a tool result into an answer.

Imports only ``fusion_tool.provider`` and ``fusion_tool.core``.
"""
